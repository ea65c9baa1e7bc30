// FileProblem: a failed file operation in plain words — the path and the cause ("permission
// denied", "no such file or directory") — instead of Foundation's `Error Domain=NSCocoaErrorDomain
// Code=513 …`. The root command passes every error through `plain(_:)` before printing it.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

enum FileProblem {
    /// An error that reads as one sentence.
    struct Described: Error, CustomStringConvertible {
        let description: String
    }

    /// `error` as "PATH: cause", when it is a file error (Foundation's or a POSIX one).
    static func describe(_ error: any Error, path fallback: String? = nil) -> String {
        let nsError = error as NSError
        let path = (nsError.userInfo[NSFilePathErrorKey] as? String)
            ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path ?? fallback
        let cause = Self.cause(nsError)
        return path.map { "\($0): \(cause)" } ?? cause
    }

    /// `error` itself, or a ``Described`` one when it is a Foundation file error.
    static func plain(_ error: any Error) -> any Error {
        let nsError = error as NSError
        guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else { return error }
        return Described(description: describe(error))
    }

    private static func cause(_ error: NSError) -> String {
        if let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))).lowercased() }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteFileExists: return "it exists already"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileReadCorruptFile: return "the file is damaged or not in the expected format"
        case .fileReadInapplicableStringEncoding: return "the file is not UTF-8 text"
        default: return "the file operation failed (code \(error.code))"
        }
    }
}
