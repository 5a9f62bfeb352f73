// The path tricks a scoped token must withstand (docs/SECURITY.md, "The access model"), as rows of a Qt
// Test table: spellings of a path the token may read that the server refuses rather than normalises, and
// ways out of the scope. One table for the token of a subtree (tst_server_authgrants) and the token of one
// file (tst_server_filetoken), so that a trick added for one is tried on both; each suite adds the rows
// that only its kind of scope has.
#pragma once

#include "testclient.h"

#include <QByteArray>
#include <QTest>

#include <string>
#include <vector>

namespace ferrytest {

// What a row asks for.
enum class PathOp { Get, Stat, List, Digest, Manifest };

// The paths the rows are made of, all relative to the server's root.
struct PathTrickPaths {
    QByteArray scope;     // the token's scope: "pub", "docs/keynote.pdf"
    QByteArray readable;  // a file the token may read, in a folder: "pub/a.bin", or the scope itself
    QByteArray lookAlike; // a name the scope is a prefix of, outside it: "public/look-alike.txt"
    QByteArray beside;    // a file at the root, beside the scope's top folder
    QByteArray outside;   // a file in another folder of the root
};

// Sends the row's request on `client` and reads the answer.
inline Status runPathOp(TestClient &client, PathOp op, const QByteArray &path)
{
    const std::string name(path.constData(), size_t(path.size()));
    std::string digest;
    std::vector<proto::ManifestPage> pages;
    switch (op) {
    case PathOp::Get: return client.get(name).status;
    case PathOp::Stat: return client.stat(name);
    case PathOp::List: return client.list(name).status;
    case PathOp::Digest: return client.digest(name, &digest);
    case PathOp::Manifest: return client.manifest(name, &pages);
    }
    return Status::of(Outcome::Failed);
}

// The columns: op (a PathOp), path, code (a proto::ErrorCode; 0: served).
inline void addPathTrickColumns()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("code");
}

// The rows both suites share.
inline void addSharedPathTrickRows(const PathTrickPaths &p)
{
    const int get = int(PathOp::Get), stat = int(PathOp::Stat), list = int(PathOp::List);
    const int unauthorized = int(proto::ErrorCode::Unauthorized);
    const qsizetype lastSlash = p.readable.lastIndexOf('/');
    const QByteArray topFolder = p.scope.left(p.scope.indexOf('/') < 0 ? p.scope.size() : p.scope.indexOf('/'));
    QTest::newRow("doubled slash") << get << QByteArray(p.readable).insert(lastSlash, '/') << 0;
    QTest::newRow("LIST the root: the way in") << list << QByteArray("") << 0;
    QTest::newRow("beside the scope") << get << p.beside << unauthorized;
    QTest::newRow("another folder") << get << p.outside << unauthorized;
    QTest::newRow("look-alike name") << stat << p.lookAlike << unauthorized;
    QTest::newRow("GET a look-alike name") << get << p.lookAlike << unauthorized;
    QTest::newRow("a/../b") << get << topFolder + "/../" + p.outside << unauthorized;
    QTest::newRow("scope/..") << list << p.scope + "/.." << unauthorized;
    QTest::newRow("absolute") << get << "/" + p.readable << unauthorized;
    QTest::newRow("// in front") << get << "//" + p.readable << unauthorized;
    QTest::newRow("./ in front") << get << "./" + p.readable << unauthorized;
}

} // namespace ferrytest
