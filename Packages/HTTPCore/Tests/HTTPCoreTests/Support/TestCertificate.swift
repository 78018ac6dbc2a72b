import HTTPCore

/// A self-signed certificate for 127.0.0.1/localhost (EC P-256, valid 100 years), made for the TLS tests with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=localhost
/// -addext subjectAltName=IP:127.0.0.1,DNS:localhost`. Test-only; it protects nothing.
enum TestCertificate {
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBmjCCAUGgAwIBAgIUM1WMqKS+fTPyJHb+HCO5xwlUnfYwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTEwMjMzM1oYDzIxMjYxMTAx
        MTAyMzMzWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAAQRP/U48+Fdr9eVxtzEyYTHofXZnDvT5jyf0zGXKtxC2GWnxEsKX0UZ
        I4HdnxKVm2SO4Zyc4c1Jv8xcM076HkWJo28wbTAdBgNVHQ4EFgQUf6eJE3EZQOLh
        3jQ751L2oUpv3ZowHwYDVR0jBBgwFoAUf6eJE3EZQOLh3jQ751L2oUpv3ZowDwYD
        VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
        zj0EAwIDRwAwRAIgF3sYSF4GuPyk899EWwEMFLfsIihfqeXQMYCLFQ0UHgQCIHO0
        OAJdUbBDcqfmeE5pvrAh68hje1PsuP4qTF/4yMAD
        -----END CERTIFICATE-----
        """

    static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiWVCqlQpF+RhHTwE
        oQQ1YvM3hphV4wFGUeoIcm2Og2ehRANCAAQRP/U48+Fdr9eVxtzEyYTHofXZnDvT
        5jyf0zGXKtxC2GWnxEsKX0UZI4HdnxKVm2SO4Zyc4c1Jv8xcM076HkWJ
        -----END PRIVATE KEY-----
        """
}

extension TestCertificate {
    /// The certificate and key written into `directory`: the certificate's path (a client's CA file) and the
    /// server's TLS configuration that uses them.
    static func files(in directory: TemporaryDirectory) throws -> (
        certificatePath: String, tls: HTTPServer.Configuration.TLS
    ) {
        let certificate = try directory.file("cert.pem", bytes: Array(certificatePEM.utf8))
        let key = try directory.file("key.pem", bytes: Array(privateKeyPEM.utf8))
        return (certificate, HTTPServer.Configuration.TLS(certificatePath: certificate, privateKeyPath: key))
    }
}
