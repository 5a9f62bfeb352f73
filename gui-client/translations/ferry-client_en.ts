<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>ferry::gui::MainWindow</name>
    <message numerus="yes">
        <source>Quit while %n download(s) are running?</source>
        <translation>
            <numerusform>Quit while %n download is running?</numerusform>
            <numerusform>Quit while %n downloads are running?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Added %n download(s) to %1</source>
        <translation>
            <numerusform>Added %n download to %1</numerusform>
            <numerusform>Added %n downloads to %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n downloading</source>
        <translation>
            <numerusform>%n downloading</numerusform>
            <numerusform>%n downloading</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n queued</source>
        <translation>
            <numerusform>%n queued</numerusform>
            <numerusform>%n queued</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n failed</numerusform>
            <numerusform>%n failed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ferry::gui::Notifier</name>
    <message numerus="yes">
        <source>%n download(s) finished.</source>
        <translation>
            <numerusform>%n download finished.</numerusform>
            <numerusform>%n downloads finished.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ferry::gui::TransferView</name>
    <message numerus="yes">
        <source>Remove %n download(s) from the list?</source>
        <translation>
            <numerusform>Remove %n download from the list?</numerusform>
            <numerusform>Remove %n downloads from the list?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of them are not finished.</source>
        <translation>
            <numerusform>%n of them is not finished.</numerusform>
            <numerusform>%n of them are not finished.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove %n download(s) and delete their files?</source>
        <translation>
            <numerusform>Remove %n download and delete its file?</numerusform>
            <numerusform>Remove %n downloads and delete their files?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n download(s) and delete what is downloaded?</source>
        <translation>
            <numerusform>Cancel %n download and delete what is downloaded?</numerusform>
            <numerusform>Cancel %n downloads and delete what is downloaded?</numerusform>
        </translation>
    </message>
</context>
</TS>
