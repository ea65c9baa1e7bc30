// OriginPolicyTests: which browser origins may open the socket and sign in, decided from the
// header and the port alone.
import XCTest

@testable import Messaging

final class OriginPolicyTests: XCTestCase {
    private let policy = OriginPolicy(ownHosts: ["localhost", "127.0.0.1", "::1", "XF.Example.gov.cn"],
                                      additionalOrigins: ["https://console.example.gov.cn", "http://10.1.2.3:8080"])

    func testTheHubsOwnOriginsOnItsPort() {
        XCTAssertTrue(policy.allows(origin: "https://localhost:8443", localPort: 8443))
        XCTAssertTrue(policy.allows(origin: "https://127.0.0.1:8443", localPort: 8443))
        XCTAssertTrue(policy.allows(origin: "https://[::1]:8443", localPort: 8443))
        XCTAssertTrue(policy.allows(origin: "HTTPS://xf.example.GOV.cn:8443", localPort: 8443), "case does not matter")
        XCTAssertTrue(policy.allows(origin: "https://xf.example.gov.cn", localPort: 443), "the default port")
        XCTAssertFalse(policy.allows(origin: "https://localhost:9443", localPort: 8443), "another port is another origin")
        XCTAssertFalse(policy.allows(origin: "http://localhost:8443", localPort: 8443), "not over TLS")
        XCTAssertFalse(policy.allows(origin: "https://evil.example:8443", localPort: 8443))
        XCTAssertFalse(policy.allows(origin: "https://localhost.evil.example:8443", localPort: 8443))
    }

    func testAdditionalOriginsExactly() {
        XCTAssertTrue(policy.allows(origin: "https://console.example.gov.cn", localPort: 8443))
        XCTAssertTrue(policy.allows(origin: "https://console.example.gov.cn:443", localPort: 8443))
        XCTAssertTrue(policy.allows(origin: "http://10.1.2.3:8080", localPort: 8443))
        XCTAssertFalse(policy.allows(origin: "http://10.1.2.3", localPort: 8443))
        XCTAssertFalse(policy.allows(origin: "https://sub.console.example.gov.cn", localPort: 8443))
    }

    func testNoOriginIsNotABrowserAndMalformedOnesAreRefused() {
        XCTAssertTrue(policy.allows(origin: nil, localPort: 8443))
        for bad in ["null", "", "localhost:8443", "https://localhost:8443/", "https://localhost:8443/path", "https://local host:8443",
                    "https://localhost:0", "https://localhost:99999", "https://localhost:84x3", "ftp://localhost:8443",
                    "https://" + String(repeating: "a", count: 300), "https://[::1:8443", "https://本地:8443"] {
            XCTAssertFalse(policy.allows(origin: bad, localPort: 8443), bad)
        }
        XCTAssertFalse(OriginPolicy.isValidOrigin("https://a.example/x"))
        XCTAssertTrue(OriginPolicy.isValidOrigin("https://a.example:9443"))
    }

    func testTheOwnOriginOfAPage() {
        XCTAssertEqual(policy.ownOrigin(host: "localhost:8443", localPort: 8443), "https://localhost:8443")
        XCTAssertEqual(policy.ownOrigin(host: "[::1]:8443", localPort: 8443), "https://[::1]:8443")
        XCTAssertNil(policy.ownOrigin(host: "evil.example:8443", localPort: 8443))
        XCTAssertNil(policy.ownOrigin(host: nil, localPort: 8443))
    }
}
