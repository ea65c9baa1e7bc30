// SecureFile: writing files with an exact mode from the start (private keys are 0600 before a
// single byte is written, never chmod-ed afterwards).
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// File helpers for secrets and data-directory files.
enum SecureFile {
    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates `path` with `mode` (failing if it exists) and writes `contents`.
    static func create(_ path: String, contents: String, mode: mode_t) throws {
        try create(path, bytes: Array(contents.utf8), mode: mode)
    }

    /// Creates `path` with `mode` (failing if it exists), writes `bytes` and syncs the file.
    static func create(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw WriteError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // The umask may have narrowed the mode; set it exactly (on the open descriptor).
        _ = fchmod(descriptor, mode)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else {
                throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw WriteError(description: "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces `path` with `bytes` at `mode` all at once: written and synced under a temporary
    /// name beside it, then renamed over it, so a crash leaves the old file or the new one.
    static func replace(_ path: String, contents: String, mode: mode_t) throws {
        let temporary = path + ".new-" + UUID().uuidString.prefix(8).lowercased()
        try create(temporary, bytes: Array(contents.utf8), mode: mode)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// Creates the directory `path` (and parents) with `mode` when missing.
    static func makeDirectory(_ path: String, mode: mode_t) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw WriteError(description: "\(path) exists and is not a directory") }
            return
        }
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(mode)])
    }

    /// The permission bits of `path`.
    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }
}
