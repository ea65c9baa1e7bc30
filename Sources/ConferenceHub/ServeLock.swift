// ServeLock: one `serve` per data directory. Two hubs on one database would each keep their own
// live rooms, sequence caches and deadline sweeps over the same cases; the second is refused at
// start, before it changes anything. The hold is flock(2) on `hub.lock` in the data directory,
// released by the kernel when the process ends however it ends (SIGKILL included), so a stale file
// never blocks a restart. The file holds the holder's process id, for the refusal message.
// `admin` commands, `verify` and `admin backup` do not take it: they are meant to run beside the
// hub.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

final class ServeLock {
    struct Held: Error, CustomStringConvertible {
        let description: String
    }

    /// The lock file's name in the data directory.
    static let fileName = "hub.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)  // releases the lock
    }

    /// Takes the data directory for this process, creating the directory (0700) if it is missing.
    static func acquire(_ directory: DataDirectory) throws -> ServeLock {
        try SecureFile.makeDirectory(directory.root, mode: 0o700)
        let path = directory.path(fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Held(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = readHolder(descriptor)
            close(descriptor)
            guard reason == EWOULDBLOCK else {
                throw Held(description: "cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            let who = holder.map { "process \($0)" } ?? "another process"
            throw Held(description: "\(directory.root) is in use by another conference-hub serve (\(who)); "
                + "stop it first, or give this one another --data-dir. Nothing was changed.")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ServeLock(descriptor: descriptor)
    }

    /// The process id the holder wrote, if the file holds one.
    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }
}

@available(*, unavailable)
extension ServeLock: Sendable {}
