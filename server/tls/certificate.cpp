#include "tls/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace ferry::server::tls {

void KeyFree::operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
void CertFree::operator()(X509 *cert) const { X509_free(cert); }

namespace {

struct BioFree {
    void operator()(BIO *bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string drain(BIO *bio)
{
    char *data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, size_t(size)) : std::string();
}

bool addExtension(X509 *cert, int nid, const std::string &value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension)
        return false;
    bool ok = X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

bool setRandomSerial(X509 *cert)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return false;
    bytes[0] &= 0x7f; // a positive INTEGER, as RFC 5280 asks
    BIGNUM *number = BN_bin2bn(bytes, sizeof bytes, nullptr);
    bool ok = number && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
    BN_free(number);
    return ok;
}

} // namespace

std::string opensslError()
{
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

KeyPtr makeKey(std::string &error)
{
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        error = "generating a P-256 key: " + opensslError();
    return key;
}

CertPtr makeSelfSigned(EVP_PKEY *key, const std::string &commonName, int days, std::string &error)
{
    CertPtr cert(X509_new());
    X509_NAME *name = cert ? X509_get_subject_name(cert.get()) : nullptr;
    bool ok = name && X509_set_version(cert.get(), 2) && setRandomSerial(cert.get())
              && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400) // a day of slack for clock skew
              && X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(days) * 86400)
              && X509_set_pubkey(cert.get(), key)
              && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char *>(commonName.c_str()), -1, -1, 0)
              && X509_set_issuer_name(cert.get(), name)
              && addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE")
              && addExtension(cert.get(), NID_subject_alt_name, "DNS:" + commonName)
              && addExtension(cert.get(), NID_subject_key_identifier, "hash")
              && X509_sign(cert.get(), key, EVP_sha256()) > 0;
    if (!ok) {
        error = "making the self-signed certificate: " + opensslError();
        cert.reset();
    }
    return cert;
}

std::string keyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return drain(bio.get());
}

std::string certToPem(X509 *cert)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        return {};
    return drain(bio.get());
}

int noPassphrase(char *, int, int, void *) { return -1; }

KeyPtr keyFromPem(const std::string &pem, std::string &error)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
    // Without a callback OpenSSL would ask for an encrypted key's passphrase on the terminal, and a
    // server started by hand would hang there: the key is refused instead.
    KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
    if (!key)
        error = opensslError();
    return key;
}

CertPtr certFromPem(const std::string &pem, std::string &error)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
    CertPtr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert)
        error = opensslError();
    return cert;
}

bool certMatchesKey(X509 *cert, EVP_PKEY *key)
{
    EVP_PKEY *inCert = X509_get0_pubkey(cert);
    return inCert && EVP_PKEY_eq(inCert, key) == 1;
}

long long secondsLeft(X509 *cert)
{
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) != 1)
        return -1;
    return (long long)days * 86400 + seconds;
}

} // namespace ferry::server::tls
