// `admin ca`: the conference CA's expiry, and its renewal for the same name and key.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct AuthorityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Show the conference CA's expiry, or renew it (--renew) for the same name and key.",
        discussion: """
            The renewed CA certificate has the same name and key, valid 10 years from now: every \
            certificate the CA signed keeps verifying, against the old ca.pem and the new one alike. \
            Hand the new tls/ca.pem to clients before the old one expires; restart `serve` to send it.
            """)
    @OptionGroup var data: DataDirectoryOptions
    @Flag(help: "Issue a new CA certificate for the same name and key.") var renew = false

    func run() throws {
        try AdminCommand.withCertificates(data) { directory in
            if renew {
                let renewed = try directory.renewAuthority()
                print("renewed the conference CA: \(Self.describe(renewed))")
                print("hand \(directory.caCertificate) to every client before the old one expires; restart `conference-hub serve`")
            } else {
                print("conference CA: \(Self.describe(try CertificateDetails(pem: directory.read(directory.caCertificate))))")
            }
        }
    }

    static func describe(_ details: CertificateDetails) -> String {
        "\(details.commonName ?? "?"); expires \(CertificateDetails.day(details.notAfter)) (\(details.daysLeft()) days left); "
            + "sha256 \(details.fingerprintSHA256)"
    }
}
