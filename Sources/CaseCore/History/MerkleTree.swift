// MerkleTree: the decision log's tree, with the hashing rules of RFC 6962 (leaf = SHA-256(0x00‖entry),
// node = SHA-256(0x01‖left‖right)); roots, inclusion proofs and consistency proofs per RFC 6962 §2.1,
// and their verification per RFC 9162 §2.1.3.2 and §2.1.4.2.

public enum MerkleTree {
    /// SHA-256(0x00 ‖ entry).
    public static func leafHash(_ entry: [UInt8]) -> [UInt8] { EventChain.sha256([0] + entry) }

    /// SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { EventChain.sha256([1] + left + right) }

    /// The largest power of two smaller than `n` (n > 1).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH over leaf hashes (the empty tree's root is SHA-256 of nothing).
    public static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return EventChain.sha256([UInt8]())
        case 1: return leaves[leaves.startIndex]
        default:
            let k = split(leaves.count)
            return nodeHash(root(leaves.prefix(k)), root(leaves.dropFirst(k)))
        }
    }

    public static func root(_ leaves: [[UInt8]]) -> [UInt8] { root(leaves[...]) }

    /// The audit path of leaf `index` in the tree of `leaves` (RFC 6962 PATH).
    public static func inclusionProof(index: Int, leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        if index < k {
            return inclusionProof(index: index, leaves: leaves.prefix(k)) + [root(leaves.dropFirst(k))]
        }
        return inclusionProof(index: index - k, leaves: leaves.dropFirst(k)) + [root(leaves.prefix(k))]
    }

    /// The consistency proof between the first `first` leaves and all of `leaves` (RFC 6962 PROOF).
    public static func consistencyProof(first: Int, leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard first > 0, first < leaves.count else { return [] }
        return subproof(first, leaves, complete: true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, complete: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        if m <= k { return subproof(m, leaves.prefix(k), complete: complete) + [root(leaves.dropFirst(k))] }
        return subproof(m - k, leaves.dropFirst(k), complete: false) + [root(leaves.prefix(k))]
    }

    /// Whether `path` proves leaf `leafHash` at `index` in a tree of `size` with `root` (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: [UInt8], index: Int, size: Int, path: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in path {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `path` proves that the tree of `first` leaves with `firstRoot` is a prefix of the
    /// tree of `second` leaves with `secondRoot` (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(first: Int, second: Int, firstRoot: [UInt8], secondRoot: [UInt8], path: [[UInt8]]) -> Bool {
        guard first > 0, first <= second else { return false }
        if first == second { return path.isEmpty && firstRoot == secondRoot }
        guard !path.isEmpty else { return false }
        var proof = path
        if first & (first - 1) == 0 { proof.insert(firstRoot, at: 0) }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = proof[0], sr = proof[0]
        for c in proof.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
