// `conference-hub client --json`: request objects in, replies and events out, one JSON per line.
import Foundation
import Messaging
import NIOCore

/// Sends each input line as a request (waiting for its reply before the next) and prints every
/// message from the hub exactly as received. Returns the exit status: 0 when all input was sent
/// and answered, 1 when a line was not a request object or the connection failed.
struct JSONLinesClient {
    let configuration: HubClientConfiguration
    let group: EventLoopGroup
    let output: ConsoleOutput
    /// Keep printing events after the end of input, until the connection closes.
    let follow: Bool
    /// After the last reply, how long events may still arrive (room batching).
    var linger: Duration = .milliseconds(100)

    func run(input: (AsyncStream<ClientInput>, AsyncStream<ClientInput>.Continuation)) async -> Int32 {
        let (stream, continuation) = input
        let output = self.output
        let client: HubClient
        do {
            client = try await HubClient.connect(configuration: configuration, group: group) { message in
                // Replies to the client's own requests (authentication, the end-of-input barrier)
                // are not the script's business.
                if let id = message.id, id.hasPrefix(HubClient.automaticIDPrefix) { return }
                output.line(message.text)
            }
        } catch {
            output.error("conference-hub client: \(error)")
            return 1
        }
        Task {
            try? await client.closed.get()
            continuation.yield(.closed(client, client.closeError ?? .closed(code: nil, reason: nil)))
        }
        var lineNumber = 0
        var rejected = 0
        var inputEnded = false
        for await item in stream {
            switch item {
            case .line(let line):
                lineNumber += 1
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                guard var object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any],
                    let type = object["type"] as? String
                else {
                    output.error("line \(lineNumber): not a request object with a string `type`; skipped")
                    rejected += 1
                    continue
                }
                if !(object["id"] is String) { object["id"] = "line-\(lineNumber)" }
                do {
                    _ = try await client.send(type, object)
                } catch {
                    output.error("conference-hub client: \(error)")
                    return 1
                }
            case .endOfInput:
                inputEnded = true
                if follow { continue }
                // A last round trip: requests are served in order, so every event caused by the
                // input (a join's replay, say) has arrived once this reply does.
                _ = try? await client.send("hello")
                if linger > .zero { try? await Task.sleep(for: linger) }
                await client.close()
                return rejected == 0 ? 0 : 1
            case .closed(_, let error):
                output.error("conference-hub client: \(error)")
                return inputEnded && follow && rejected == 0 ? 0 : 1
            }
        }
        return 1
    }
}
