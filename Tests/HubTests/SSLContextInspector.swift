// SSLContextInspector: reads back settings of a TLSContext's SSL_CTX, for policy tests.
import COpenSSL

@testable import Messaging

enum SSLContextInspector {
    /// The minimum protocol version (0x0303 is TLS 1.2).
    static func minimumVersion(_ context: TLSContext) -> Int {
        Int(SSL_CTX_ctrl(context.context, SSL_CTRL_GET_MIN_PROTO_VERSION, 0, nil))
    }
}
