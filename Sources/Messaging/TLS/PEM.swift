// PEM: reading certificates and keys from PEM text and writing them back, through OpenSSL.
import COpenSSL

/// Owned OpenSSL objects decoded from PEM; callers free them (X509_free / EVP_PKEY_free).
enum PEM {
    /// Decodes every certificate in `pem`, in order. Throws when there is none.
    static func certificates(_ pem: String) throws -> [OpaquePointer] {
        try withMemoryBIO(pem) { bio in
            var certificates: [OpaquePointer] = []
            ERR_clear_error()
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(certificate)
            }
            // Reading stops with "no start line" at the end of the text; that is not an error.
            ERR_clear_error()
            guard !certificates.isEmpty else {
                throw TLSError(.invalidCertificate, detail: "no PEM certificate found")
            }
            return certificates
        }
    }

    /// Decodes one private key from `pem`.
    static func privateKey(_ pem: String) throws -> OpaquePointer {
        try withMemoryBIO(pem) { bio in
            ERR_clear_error()
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw TLSError.fromErrorQueue(.invalidCertificate, detail: "no usable PEM private key found")
            }
            return key
        }
    }

    /// PEM text of a certificate.
    static func encode(certificate: OpaquePointer) throws -> String {
        try toMemoryBIO { bio in PEM_write_bio_X509(bio, certificate) }
    }

    /// PEM text (PKCS#8, unencrypted) of a private key.
    static func encode(privateKey: OpaquePointer) throws -> String {
        try toMemoryBIO { bio in PEM_write_bio_PrivateKey(bio, privateKey, nil, nil, 0, nil, nil) }
    }

    /// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text`.
    static func withMemoryBIO<T>(_ text: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw TLSError.fromErrorQueue(.invalidCertificate, detail: "could not allocate a memory BIO")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `write` against a fresh memory BIO and returns what it wrote as text.
    static func toMemoryBIO(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "could not allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        ERR_clear_error()
        guard write(bio) == 1 else {
            throw TLSError.fromErrorQueue(.invalidCertificate, detail: "PEM encoding failed")
        }
        return memoryBIOString(bio)
    }

    /// The bytes held by a memory BIO, as UTF-8 text.
    static func memoryBIOString(_ bio: OpaquePointer) -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = chub_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
