// `admin server-cert`: the hub's own certificate, its expiry and renewal.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct ServerCertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-cert",
        abstract: "Show the server certificate's names and expiry, or issue a new one (--renew).",
        discussion: """
            The new certificate is signed by the conference CA (clients keep trusting ca.pem as it is), \
            valid 825 days, for the names and addresses given, or those of the certificate in use. \
            The key and the certificate are each replaced at once; restart `serve` to use them.
            """)
    @OptionGroup var data: DataDirectoryOptions
    @Flag(help: "Issue a new server certificate and key in place of the current ones.") var renew = false
    @Option(name: .customLong("name"), help: "A DNS name for the new certificate (repeatable; default: the current ones).")
    var names: [String] = []
    @Option(name: .customLong("address"), help: "An IP address for the new certificate (repeatable; default: the current ones).")
    var addresses: [String] = []

    func validate() throws {
        guard renew || (names.isEmpty && addresses.isEmpty) else { throw ValidationError("--name and --address go with --renew") }
    }

    func run() throws {
        try AdminCommand.withCertificates(data) { directory in
            if renew {
                let renewal = names.isEmpty && addresses.isEmpty
                let issued = try directory.renewServerCertificate(
                    names: renewal ? nil : names, addresses: renewal ? nil : addresses)
                print("issued a new server certificate: \(Self.describe(issued))")
                print("restart `conference-hub serve` to use it; clients keep trusting \(directory.caCertificate)")
            } else {
                print("server certificate: \(Self.describe(try directory.serverCertificateDetails()))")
            }
        }
    }

    static func describe(_ details: CertificateDetails, now: Date = Date()) -> String {
        let names = (details.dnsNames + details.ipAddresses).joined(separator: ", ")
        let days = details.daysLeft(at: now)
        let expiry = CertificateDetails.day(details.notAfter)
        let left = days >= 0 ? "\(days) days left" : "EXPIRED \(-days) days ago"
        return "\(names); expires \(expiry) (\(left)); sha256 \(details.fingerprintSHA256)"
    }
}
