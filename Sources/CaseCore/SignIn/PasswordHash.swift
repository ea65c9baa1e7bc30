// PasswordHash: a password kept only as a memory-hard hash — scrypt (RFC 7914) through OpenSSL's
// EVP_PBE_scrypt — with a random salt per password and its parameters stored beside it, so that
// they can be raised later without invalidating what is stored. Verification compares in
// constant time.
import COpenSSL
import Foundation

/// scrypt's cost parameters.
public struct ScryptParameters: Sendable, Equatable {
    /// log2 of N, the CPU/memory cost.
    public var costLog2: Int
    /// r, the block size.
    public var blockSize: Int
    /// p, the parallelism.
    public var parallelism: Int

    public init(costLog2: Int, blockSize: Int, parallelism: Int) {
        self.costLog2 = costLog2
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// N = 2^15, r = 8, p = 1: 32 MiB and some 50–100 ms per hash on one core of a server, the
    /// interactive-login choice of RFC 7914 §2 and of OWASP's password storage guidance.
    public static let standard = ScryptParameters(costLog2: 15, blockSize: 8, parallelism: 1)

    /// Memory one hash needs: 128 · N · r · p bytes.
    public var memoryBytes: Int { 128 * (1 << costLog2) * blockSize * parallelism }

    /// Whether these are parameters we accept from storage (bounded, so that a damaged row
    /// cannot make one sign-in take gigabytes).
    public var isReasonable: Bool {
        (10...20).contains(costLog2) && (1...16).contains(blockSize) && (1...4).contains(parallelism)
    }
}

/// A stored password: the derived key, its salt and the parameters that made it.
public struct PasswordHash: Sendable, Equatable {
    public let hash: [UInt8]
    public let salt: [UInt8]
    public let parameters: ScryptParameters

    public init(hash: [UInt8], salt: [UInt8], parameters: ScryptParameters) {
        self.hash = hash
        self.salt = salt
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh 16-byte salt.
    public static func make(_ password: String, parameters: ScryptParameters = .standard) throws -> PasswordHash {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1 else { throw PasswordHashError.failed("no random bytes") }
        return PasswordHash(hash: try derive(password, salt: salt, parameters: parameters), salt: salt, parameters: parameters)
    }

    /// Whether `password` is the one this hash was made from.
    public func verifies(_ password: String) -> Bool {
        guard parameters.isReasonable, let derived = try? Self.derive(password, salt: salt, parameters: parameters),
              derived.count == hash.count
        else { return false }
        return CRYPTO_memcmp(derived, hash, hash.count) == 0
    }

    static func derive(_ password: String, salt: [UInt8], parameters: ScryptParameters) throws -> [UInt8] {
        let secret = Array(password.utf8)
        var key = [UInt8](repeating: 0, count: 32)
        let status = secret.withUnsafeBufferPointer { secretBytes in
            secretBytes.withMemoryRebound(to: CChar.self) { secretChars in
                EVP_PBE_scrypt(
                    secretChars.baseAddress, secretChars.count, salt, salt.count,
                    UInt64(1) << UInt64(parameters.costLog2), UInt64(parameters.blockSize), UInt64(parameters.parallelism),
                    UInt64(parameters.memoryBytes + 1 << 20), &key, key.count)
            }
        }
        guard status == 1 else { throw PasswordHashError.failed("EVP_PBE_scrypt failed") }
        return key
    }
}

public enum PasswordHashError: Error, Equatable {
    case failed(String)
}

/// What a person id given at sign-in must be, checked before any lookup: a control character
/// (NUL among them) would otherwise reach the store, where C strings end at NUL, and sign in as
/// the person whose id it ends with while escaping that person's throttle.
public enum SignInIdentifier {
    public static let maximumBytes = 64

    /// Why `person` cannot be a person id (nil: it can be).
    public static func problem(with person: String) -> String? {
        if person.isEmpty || person.utf8.count > maximumBytes { return "`person` is 1–\(maximumBytes) bytes" }
        if person.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "`person` may not hold control characters"
        }
        return nil
    }
}

/// What a password a person chooses must be. A password is never logged or echoed.
public enum PasswordRules {
    public static let minimumCharacters = 10
    /// Longest accepted, in bytes of UTF-8 (bounds the work of hashing).
    public static let maximumBytes = 256

    /// Fewest different characters a password holds.
    public static let minimumDistinctCharacters = 4

    /// The rule a password breaks, by the name the sign-in refusal gives it (`rule`).
    public enum Problem: String, Sendable, CaseIterable {
        case tooLong = "too_long"
        case tooShort = "too_short"
        case unchanged
        case containsID = "contains_id"
        case tooFewDistinct = "too_few_distinct"

        /// The rule, in a sentence.
        public var message: String {
            switch self {
            case .tooLong: "a password may hold at most \(maximumBytes) bytes"
            case .tooShort: "a password needs at least \(minimumCharacters) characters"
            case .unchanged: "the new password must differ from the one it replaces"
            case .containsID: "a password may not contain the person's id"
            case .tooFewDistinct: "a password needs at least \(minimumDistinctCharacters) different characters"
            }
        }
    }

    /// The rule `password` breaks for `person` (nil: none). `previous` is the password it
    /// replaces, which may not be chosen again.
    public static func problem(with password: String, person: String, previous: String?) -> Problem? {
        if password.utf8.count > maximumBytes { return .tooLong }
        if password.count < minimumCharacters { return .tooShort }
        if password == previous { return .unchanged }
        if password.lowercased().contains(person.lowercased()) { return .containsID }
        if Set(password).count < minimumDistinctCharacters { return .tooFewDistinct }
        return nil
    }

    /// A one-time password for an administrator to hand over: 14 characters from an alphabet
    /// without look-alikes (no 0/O, 1/l/I), about 80 bits.
    public static func makeInitial() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<14).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
