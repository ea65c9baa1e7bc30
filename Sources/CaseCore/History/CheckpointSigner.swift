// CheckpointSigner: Ed25519 keys and signatures through OpenSSL's EVP interface, for the decision
// log's signed checkpoints. A checkpoint is the text "ORIGIN\nSIZE\nBASE64(ROOT)\n" (the shape of
// a transparency-log checkpoint); its signature is Ed25519 over those bytes.
import COpenSSL
import Foundation

/// Why a key could not be made, read or used.
public struct SigningError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A signed statement of the decision log: its origin, size and root.
public struct Checkpoint: Codable, Sendable, Equatable {
    public let origin: String
    public let size: Int
    public let root: [UInt8]
    public let signature: [UInt8]
    public let at: Timestamp

    /// The signed bytes.
    public var note: String { Self.note(origin: origin, size: size, root: root) }

    public static func note(origin: String, size: Int, root: [UInt8]) -> String {
        "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n"
    }
}

/// An Ed25519 private key.
public final class CheckpointSigner: @unchecked Sendable {
    // @unchecked: the EVP_PKEY is immutable after init; OpenSSL allows concurrent signing with it.
    private let key: OpaquePointer

    /// A new random key.
    public init() throws {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw SigningError("cannot create an Ed25519 key context") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw SigningError("Ed25519 key generation failed")
        }
        self.key = key
    }

    /// Reads a PEM private key (PKCS #8) holding an Ed25519 key.
    public init(pem: String) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw SigningError("cannot allocate a BIO") }
        defer { BIO_free(bio) }
        _ = pem.withCString { BIO_puts(bio, $0) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw SigningError("not a PEM private key") }
        guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(key)
            throw SigningError("the decision-log key is not an Ed25519 key")
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// The key as PEM (PKCS #8). Write it only to a file created with mode 0600.
    public func privateKeyPEM() throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw SigningError("cannot allocate a BIO") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { throw SigningError("cannot encode the key") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = chub_BIO_get_mem_data(bio, &pointer)
        guard let pointer, length > 0 else { throw SigningError("cannot encode the key") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The 32-byte public key.
    public var publicKey: [UInt8] {
        var length = 32
        var bytes = [UInt8](repeating: 0, count: 32)
        _ = EVP_PKEY_get_raw_public_key(key, &bytes, &length)
        return Array(bytes.prefix(length))
    }

    /// The Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningError("cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { throw SigningError("cannot start signing") }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = message.withUnsafeBufferPointer { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }
        guard ok == 1 else { throw SigningError("signing failed") }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` is `publicKey`'s Ed25519 signature of `message`.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64,
            let key = publicKey.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) })
        else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        return message.withUnsafeBufferPointer { messageBuffer in
            signature.withUnsafeBufferPointer { EVP_DigestVerify(context, $0.baseAddress, 64, messageBuffer.baseAddress, messageBuffer.count) }
        } == 1
    }
}
