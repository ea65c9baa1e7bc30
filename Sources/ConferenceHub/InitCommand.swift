// `conference-hub init`: create a data directory without serving.
import ArgumentParser
import CaseCore
import Foundation
import Messaging

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the data directory: conference CA, server certificate, admin credential, database.")

    @OptionGroup var data: DataDirectoryOptions

    @Option(name: .long, parsing: .upToNextOption, help: "DNS names for the server certificate.")
    var serverName: [String] = ["localhost"]

    @Option(name: .long, parsing: .upToNextOption, help: "IP addresses for the server certificate.")
    var serverAddress: [String] = ["127.0.0.1", "::1"]

    @Option(name: .long, help: "The conference's name, shown by the console (for example 某某市信访工作联席会议).")
    var conference: String?

    @Option(name: .long, help: "The name of the conference office, the unit coordinators belong to.")
    var office: String = DataDirectory.defaultOfficeName

    @Option(name: .long, help: "How registration numbers (登记编号) are written: {year} and {seq} or {seq:N} (zero-padded to N digits), once each. Fixed once a case is registered.")
    var numbering: String = NumberPattern.default.description

    @Flag(name: .long, help: "Make a demonstration conference for a first look: units, people with one-time passwords (printed once), cases at different stages and a meeting tomorrow. Never for a real conference.")
    var demo = false

    func run() async throws {
        let directory = DataDirectory(data.dataDir)
        if directory.isInitialized {
            print("\(directory.root) is already initialized; nothing was changed.")
            return
        }
        let created = try await directory.initialize(serverNames: serverName, serverAddresses: serverAddress, conference: conference, office: office, numbering: numbering, demo: demo)
        print(FirstRunMessage.text(directory: directory, created: created, host: "127.0.0.1", port: 8443))
    }
}

/// What to print after a data directory was created.
enum FirstRunMessage {
    static func text(directory: DataDirectory, created: DataDirectory.Created, host: String, port: Int) -> String {
        """
        Initialized \(directory.root)
          conference CA certificate  \(directory.caCertificate)   (clients trust this)
          conference CA key          \(directory.caKey)   (mode 0600; signs credentials)
          server certificate         \(directory.serverCertificate)
          server key                 \(directory.serverKey)   (mode 0600)
          admin credential           \(created.adminCertificate) + \(created.adminKey)
                                     sha256 \(created.adminFingerprint)
          database                   \(directory.database)
        Connect:
          WebSocket  wss://\(host):\(port)/v1/ws   (subprotocol \(ConferenceProtocol.subprotocol))
          Health     curl --cacert \(directory.caCertificate) https://\(host):\(port)/healthz
          As admin   conference-hub client --url wss://\(host):\(port) --ca \(directory.caCertificate) --cert \(created.adminCertificate) --key \(created.adminKey)
        """ + demoText(created.demo, host: host, port: port)
    }

    /// The demonstration conference's sign-ins, shown this once (each password must be changed at
    /// the first sign-in).
    static func demoText(_ signIns: [DemoConference.SignIn], host: String, port: Int) -> String {
        guard !signIns.isEmpty else { return "" }
        let width = signIns.map { $0.member.id.count }.max() ?? 0
        let lines = signIns.map { signIn in
            "  " + signIn.member.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + signIn.password + "  "
                + signIn.member.name + "，" + signIn.member.part
        }
        return "\n" + """

        A demonstration conference (not for real cases). Open https://\(host):\(port)/ and sign in with a
        person's id and one-time password (shown only now; each chooses their own at first sign-in):
        """ + "\n" + lines.joined(separator: "\n")
    }
}
