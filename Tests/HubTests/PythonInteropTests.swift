// PythonInteropTests: python-websockets (a client we did not write) talks to the hub over wss,
// with and without a client certificate. The Python comes from the venv that scripts/test makes
// (CONFERENCEHUB_PYTHON); without it the test is skipped, unless CONFERENCEHUB_REQUIRE_INTEROP=1.
import Foundation
import XCTest

@testable import ConferenceHub
@testable import Messaging

final class PythonInteropTests: XCTestCase {
    static let script = #"""
        import asyncio, json, ssl, sys
        from websockets.asyncio.client import connect

        async def main(url, ca, cert=None, key=None):
            context = ssl.create_default_context(cafile=ca)
            if cert:
                context.load_cert_chain(cert, key)
            async with connect(url, ssl=context, subprotocols=["conferencehub.v1"], max_size=2**20) as ws:
                replies = {"subprotocol": ws.subprotocol}
                await ws.send(json.dumps({"id": "1", "type": "hello"}))
                replies["hello"] = json.loads(await ws.recv())
                await ws.send(json.dumps({"id": "2", "type": "no_such_command"}))
                replies["unknown"] = json.loads(await ws.recv())
                await ws.send("{broken")
                replies["malformed"] = json.loads(await ws.recv())
                await ws.send(json.dumps({"id": "3", "type": "hello", "note": "信访" * 20000}))
                replies["large"] = json.loads(await ws.recv())
                await ws.ping(b"py")
            print(json.dumps(replies))

        asyncio.run(main(*sys.argv[1:]))
        """#

    private func writePEMFiles(in directory: String) throws -> (ca: String, cert: String, key: String) {
        let ca = directory + "/ca.pem", cert = directory + "/cert.pem", key = directory + "/key.pem"
        try TestPKI.authority.certificatePEM.write(toFile: ca, atomically: true, encoding: .utf8)
        try TestPKI.client.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try SecureFile.create(key, contents: TestPKI.client.privateKeyPEM, mode: 0o600)
        return (ca, cert, key)
    }

    private func checkReplies(_ output: Data, expectCertificate: Bool) throws {
        let replies = try XCTUnwrap(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        XCTAssertEqual(replies["subprotocol"] as? String, "conferencehub.v1")
        let hello = try XCTUnwrap(replies["hello"] as? [String: Any])
        XCTAssertEqual(hello["type"] as? String, "ok")
        let result = try XCTUnwrap(hello["result"] as? [String: Any])
        XCTAssertEqual((result["tls"] as? [String: Any])?["version"] as? String, "TLSv1.3")
        if expectCertificate {
            XCTAssertEqual((result["certificate"] as? [String: Any])?["sha256"] as? String, TestPKI.client.fingerprintSHA256)
        } else {
            XCTAssertNil(result["certificate"])
        }
        XCTAssertEqual(((replies["unknown"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String, "unknown_command")
        XCTAssertEqual(((replies["malformed"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String, "bad_request")
        XCTAssertEqual((replies["large"] as? [String: Any])?["type"] as? String, "ok")
    }

    func testPythonWebsocketsWithClientCertificate() async throws {
        try await runInterop(host: "localhost", withCertificate: true)
    }

    func testPythonWebsocketsWithoutClientCertificate() async throws {
        try await runInterop(host: "127.0.0.1", withCertificate: false)
    }

    /// Runs the Python client against a fresh hub (skipped before the hub starts when there is no
    /// Python) and checks its replies; the hub is stopped whether or not the check passes.
    private func runInterop(host: String, withCertificate: Bool) async throws {
        let python = try interopPython()
        let hub = try await HubTestServer.hub(mode: .optional)
        do {
            let directory = try temporaryDirectory()
            let files = try writePEMFiles(in: directory)
            let arguments = ["wss://\(host):\(hub.port)/v1/ws", files.ca] + (withCertificate ? [files.cert, files.key] : [])
            let replies = try await Task.detached { [directory, arguments] in
                try runPythonClient(python, in: directory, arguments: arguments)
            }.value
            try checkReplies(replies, expectCertificate: withCertificate)
        } catch {
            try await hub.stop()
            throw error
        }
        try await hub.stop()
    }
}

/// The Python with `websockets` that scripts/test provides; skips the test without it (fails it
/// when CONFERENCEHUB_REQUIRE_INTEROP=1).
func interopPython() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    guard let python = environment["CONFERENCEHUB_PYTHON"] else {
        if environment["CONFERENCEHUB_REQUIRE_INTEROP"] == "1" {
            XCTFail("CONFERENCEHUB_PYTHON is not set; run scripts/test")
        }
        throw XCTSkip("set CONFERENCEHUB_PYTHON to a Python with `websockets` (scripts/test does)")
    }
    return python
}

/// Runs the client script; returns its standard output (one JSON object).
func runPythonClient(_ python: String, in directory: String, arguments: [String]) throws -> Data {
    let scriptPath = directory + "/client.py"
    try PythonInteropTests.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [scriptPath] + arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, errorText)
    XCTAssertFalse(data.isEmpty, errorText)
    return data
}
