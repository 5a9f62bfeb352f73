// TestClient's requests: each sends one request and reads its whole answer.
#include "testclient.h"

#include <QIODevice>

namespace ferrytest {

Status TestClient::hello(const std::string &agent, uint16_t version)
{
    if (!send(proto::Hello{version, agent})) {
        return Status::of(Outcome::Failed, "sending HELLO failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *welcome = std::get_if<proto::Welcome>(&reply)) {
        m_welcome = *welcome;
        return s;
    }
    return answerToStatus(reply);
}

Status TestClient::open(const QString &host, quint16 port)
{
    Status s = connectTo(host, port);
    return s.ok() ? hello() : s;
}

ListResult TestClient::list(const std::string &path)
{
    ListResult result;
    if (!send(proto::ListRequest{path})) {
        result.status = Status::of(Outcome::Failed, "sending LIST failed");
        return result;
    }
    for (;;) {
        proto::Message reply;
        result.status = readMessage(&reply);
        if (!result.status.ok()) {
            return result;
        }
        auto *page = std::get_if<proto::ListPage>(&reply);
        if (!page) {
            result.status = answerToStatus(reply);
            return result;
        }
        ++result.pages;
        result.entries.insert(result.entries.end(), page->entries.begin(), page->entries.end());
        if (page->last) {
            return result;
        }
    }
}

Status TestClient::stat(const std::string &path, proto::Entry *entry)
{
    if (!send(proto::StatRequest{path})) {
        return Status::of(Outcome::Failed, "sending STAT failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *statReply = std::get_if<proto::StatReply>(&reply)) {
        if (entry) {
            *entry = statReply->entry;
        }
        return s;
    }
    return answerToStatus(reply);
}

Status TestClient::digest(const std::string &path, std::string *digest, uint64_t offset, uint64_t length,
                          proto::DigestAlgo algo)
{
    if (!send(proto::DigestRequest{path, algo, offset, length})) {
        return Status::of(Outcome::Failed, "sending DIGEST failed");
    }
    proto::Message reply;
    Status s = readMessage(&reply);
    if (!s.ok()) {
        return s;
    }
    if (auto *digestReply = std::get_if<proto::DigestReply>(&reply)) {
        *digest = digestReply->digest;
        return s;
    }
    return answerToStatus(reply);
}

GetResult TestClient::get(const std::string &path, uint64_t offset, uint64_t length, const Sink &sink)
{
    if (!send(proto::GetRequest{path, offset, length})) {
        GetResult result;
        result.status = Status::of(Outcome::Failed, "sending GET failed");
        return result;
    }
    return readGetReply(sink);
}

GetResult TestClient::readGetReply(const Sink &sink)
{
    GetResult result;
    proto::Message reply;
    result.status = readMessage(&reply);
    if (!result.status.ok()) {
        return result;
    }
    auto *body = std::get_if<proto::Body>(&reply);
    if (!body) {
        result.status = answerToStatus(reply);
        return result;
    }
    result.body = *body;
    result.status = readBody(body->length, sink, &result.received);
    if (!result.status.ok()) {
        return result;
    }
    result.status = readMessage(&reply);
    if (!result.status.ok()) {
        result.status.message += " (waiting for BODY_END)";
        return result;
    }
    auto *end = std::get_if<proto::BodyEnd>(&reply);
    if (!end) {
        result.status = answerToStatus(reply);
        return result;
    }
    result.status = Status::of(end->code == proto::ErrorCode::Ok ? Outcome::Ok : Outcome::Error, end->message);
    result.status.code = end->code;
    return result;
}

GetResult TestClient::get(const std::string &path, uint64_t offset, uint64_t length)
{
    QByteArray data;
    GetResult result = get(path, offset, length, [&data](const char *bytes, size_t size) {
        data.append(bytes, qsizetype(size));
        return true;
    });
    result.data = std::move(data);
    return result;
}

GetResult TestClient::getInto(const std::string &path, QIODevice *device, uint64_t offset, uint64_t length)
{
    return get(path, offset, length, [device](const char *bytes, size_t size) {
        return device->write(bytes, qint64(size)) == qint64(size);
    });
}

} // namespace ferrytest
