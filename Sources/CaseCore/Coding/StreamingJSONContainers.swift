// StreamingJSONContainers: the Encoder and the keyed, unkeyed and single-value containers of
// StreamingJSONEncoder. Each writes through the one JSONByteWriter of the value being encoded; a
// container is the frame it opened there (its depth), so that a write to an outer container first
// closes the containers inside it.
import Foundation

struct StreamingEncoder: Encoder {
    let writer: JSONByteWriter
    let level: Int
    let path: CodingPathNode

    var codingPath: [CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(StreamingKeyedContainer<Key>(
            writer: writer, frame: writer.open(object: true, level: level), path: path))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        StreamingUnkeyedContainer(writer: writer, frame: writer.open(object: false, level: level), path: path)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        StreamingSingleValueContainer(writer: writer, level: level, path: path)
    }
}

struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    let frame: Int
    let path: CodingPathNode
    var codingPath: [CodingKey] { path.keys }

    private func begin(_ key: Key) { writer.beginMember(of: frame, key: key) }

    mutating func encodeNil(forKey key: Key) throws { begin(key); writer.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { begin(key); writer.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { begin(key); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        begin(key); try writer.writeFloat(value, path: path.appending(key))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        begin(key); try writer.writeFloat(value, path: path.appending(key))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { begin(key); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try writer.writeValue(value, level: frame + 1, path: path.appending(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(
            writer: writer, frame: writer.open(object: true, level: frame + 1), path: path.appending(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        begin(key)
        return StreamingUnkeyedContainer(
            writer: writer, frame: writer.open(object: false, level: frame + 1), path: path.appending(key))
    }

    mutating func superEncoder() -> Encoder { superEncoder(key: SuperKey(), path: path) }
    mutating func superEncoder(forKey key: Key) -> Encoder { superEncoder(key: key, path: path.appending(key)) }

    private func superEncoder(key: CodingKey, path: CodingPathNode) -> Encoder {
        writer.beginMember(of: frame, key: key)
        writer.awaitingValueAt = writer.bytes.count
        return StreamingEncoder(writer: writer, level: frame + 1, path: path)
    }
}

struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let frame: Int
    let path: CodingPathNode
    var codingPath: [CodingKey] { path.keys }
    var count: Int { writer.frames.count > frame ? writer.frames[frame].count : 0 }

    private func begin() { writer.beginMember(of: frame) }

    mutating func encodeNil() throws { begin(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { begin(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { begin(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws {
        let index = IndexCodingKey(intValue: count)
        begin(); try writer.writeFloat(value, path: path.appending(index))
    }
    mutating func encode(_ value: Float) throws {
        let index = IndexCodingKey(intValue: count)
        begin(); try writer.writeFloat(value, path: path.appending(index))
    }
    mutating func encode(_ value: Int) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { begin(); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = IndexCodingKey(intValue: count)
        begin()
        try writer.writeValue(value, level: frame + 1, path: path.appending(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = IndexCodingKey(intValue: count)
        begin()
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(
            writer: writer, frame: writer.open(object: true, level: frame + 1), path: path.appending(index)))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let index = IndexCodingKey(intValue: count)
        begin()
        return StreamingUnkeyedContainer(
            writer: writer, frame: writer.open(object: false, level: frame + 1), path: path.appending(index))
    }

    mutating func superEncoder() -> Encoder {
        let index = IndexCodingKey(intValue: count)
        begin()
        writer.awaitingValueAt = writer.bytes.count
        return StreamingEncoder(writer: writer, level: frame + 1, path: path.appending(index))
    }
}

struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let level: Int
    let path: CodingPathNode
    var codingPath: [CodingKey] { path.keys }

    /// A single value goes where the encoder stands: nothing of its own may be open there.
    private func begin() {
        if writer.frames.count == level { writer.beginValue() }
        writer.close(above: level - 1)
        precondition(writer.frames.count == level, "a container was already opened for this value")
    }

    mutating func encodeNil() throws { begin(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { begin(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { begin(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { begin(); try writer.writeFloat(value, path: path) }
    mutating func encode(_ value: Float) throws { begin(); try writer.writeFloat(value, path: path) }
    mutating func encode(_ value: Int) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { begin(); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try writer.writeValue(value, level: level, path: path)
    }
}
