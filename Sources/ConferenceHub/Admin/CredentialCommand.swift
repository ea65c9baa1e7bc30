// `admin credential`: certificates, tokens and browser sessions; listing and revoking.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct CredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential", abstract: "Certificates, tokens and browser sessions.", subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a client certificate (signed by the conference CA) or a bearer token for a person.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The person it identifies.") var person: String
        @Option(help: "Write cert.pem, key.pem (0600) and ca.pem to this new directory.") var cert: String?
        @Flag(help: "Issue a bearer token instead (printed once, stored only as a hash).") var token = false
        @Option(help: "A label to recognise it by.") var label: String = ""

        func validate() throws {
            guard (cert != nil) != token else { throw ValidationError("give exactly one of --cert OUTDIR or --token") }
        }

        func run() async throws {
            try await AdminCommand.withStore(data) { directory, store in
                let id = PersonID(person)
                guard let found = try await store.person(id) else { throw CommandFailure("no person `\(person)` (see `admin person list`)") }
                let now = Timestamp(Date())
                if let cert {
                    let authority = try CertificateIdentity(
                        certificatePEM: directory.read(directory.caCertificate), privateKeyPEM: directory.read(directory.caKey))
                    let issued = try CertificateFactory.issue(commonName: person, organization: found.unit.rawValue, usage: .client, signedBy: authority)
                    guard let digest = CaseStore.certificateDigest(fingerprintHex: issued.fingerprintSHA256) else {
                        throw CommandFailure("the new certificate has no usable fingerprint")
                    }
                    guard !FileManager.default.fileExists(atPath: cert) else { throw CommandFailure("\(cert) already exists; choose a new directory") }
                    try SecureFile.makeDirectory(cert, mode: 0o700)
                    try SecureFile.create(cert + "/key.pem", contents: issued.privateKeyPEM, mode: 0o600)
                    try SecureFile.create(cert + "/cert.pem", contents: issued.certificatePEM, mode: 0o644)
                    try SecureFile.create(cert + "/ca.pem", contents: authority.certificatePEM, mode: 0o644)
                    let credential = try await store.addCredential(
                        person: id, kind: .certificate, digest: digest, label: label.isEmpty ? "certificate" : label, at: now)
                    print("credential \(credential): certificate for \(person) in \(cert) (cert.pem, key.pem, ca.pem); sha256 \(issued.fingerprintSHA256)")
                } else {
                    let secret = CaseStore.makeToken()
                    let credential = try await store.addCredential(
                        person: id, kind: .token, digest: CaseStore.tokenDigest(secret), label: label.isEmpty ? "token" : label, at: now)
                    print("credential \(credential): token for \(person) (shown once; only its hash is stored):")
                    print(secret)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List credentials (never their secrets).")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Only this person's.") var person: String?

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                for credential in try await store.credentials(of: person.map(PersonID.init(rawValue:))) {
                    let now = Timestamp(Date())
                    let state = credential.revokedAt.map { "revoked \($0)" }
                        ?? credential.expiresAt.map { $0 > now ? "active until \($0)" : "expired \($0)" } ?? "active"
                    print("\(credential.id)\t\(credential.person)\t\(credential.kind.rawValue)\t\(state)\t\(credential.label)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a credential; the hub closes its open connections within seconds.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The credential id (see `credential list`).") var id: Int64

        func run() async throws {
            try await AdminCommand.withStore(data) { _, store in
                guard try await store.revokeCredential(id: id, at: Timestamp(Date())) else {
                    throw CommandFailure("no active credential \(id) (see `admin credential list`)")
                }
                print("revoked credential \(id)")
            }
        }
    }
}
