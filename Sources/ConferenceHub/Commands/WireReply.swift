// WireReply: the bytes of an `ok` reply, `{"id","result","type":"ok"}`, encoded once from a
// command's typed result (snake_case keys, sorted, as every reply on the wire).
import Foundation
import Messaging
import NIOCore

enum WireReply {
    private struct OK<Result: Encodable>: Encodable {
        let id: String
        let result: Result
        let type = "ok"
    }

    /// `{"id": id, "result": result, "type": "ok"}`.
    static func ok<Result: Encodable>(id: String, result: Result) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try WireCoding.encode(OK(id: id, result: result)))
        } catch {
            // Only a value that is not JSON (a programming error) gets here: say so on the wire.
            return Reply.error(id: id, code: .internal, message: "the reply could not be encoded")
        }
    }
}
