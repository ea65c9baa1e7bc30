// PendingConnections: how many connections each IP address holds that the application has not yet
// counted as established (for the hub: authenticated). Until then a connection costs the server a
// socket, TLS state and timers without anyone being accountable for it, so one address may hold
// only so many at once; beyond that new ones are closed as soon as they are accepted, before any
// TLS work. Each admitted connection's slot is given back once: when the application marks it
// established, or when it closes, whichever comes first.
import NIOConcurrencyHelpers

final class PendingConnections: Sendable {
    /// One admitted connection's slot.
    final class Ticket: Sendable {
        private let owner: PendingConnections
        private let address: String
        private let held = NIOLockedValueBox(true)

        fileprivate init(owner: PendingConnections, address: String) {
            self.owner = owner
            self.address = address
        }

        /// Gives the slot back; later calls do nothing.
        func release() {
            let wasHeld = held.withLockedValue { held -> Bool in
                defer { held = false }
                return held
            }
            if wasHeld { owner.release(address) }
        }
    }

    /// At most this many per address; 0 admits everything (and counts nothing).
    let limit: Int
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// A slot for a new connection from `address`, or nil when the address already holds `limit`.
    func admit(_ address: String) -> Ticket? {
        guard limit > 0 else { return Ticket(owner: self, address: "") }
        let admitted = counts.withLockedValue { counts -> Bool in
            let held = counts[address, default: 0]
            guard held < limit else { return false }
            counts[address] = held + 1
            return true
        }
        return admitted ? Ticket(owner: self, address: address) : nil
    }

    /// Connections from `address` holding a slot now.
    func count(_ address: String) -> Int {
        counts.withLockedValue { $0[address, default: 0] }
    }

    /// Connections holding a slot now, from every address.
    var total: Int {
        counts.withLockedValue { $0.values.reduce(0, +) }
    }

    private func release(_ address: String) {
        guard limit > 0 else { return }
        counts.withLockedValue { counts in
            let left = counts[address, default: 0] - 1
            counts[address] = left > 0 ? left : nil
        }
    }
}
