import NIOCore
import PostgresNIO

// A buffered row's values, kept as values (not as bindings already encoded) so that a row can be bound on its own,
// in a statement of its own, or as one element of per-column arrays, as the batched commit binds many rows at once.

/// One column's value.
enum ColumnValue: Sendable, Equatable {
    case text(String?)
    case int(Int64?)
    case bool(Bool?)
}

/// A column's type, as a batched statement declares its array (`$n::bigint[]`).
enum ColumnType: String, Sendable {
    case text
    case bigint
    case boolean

    var arrayType: PostgresDataType {
        switch self {
        case .text: .textArray
        case .bigint: .int8Array
        case .boolean: .boolArray
        }
    }

    var elementType: PostgresDataType {
        switch self {
        case .text: .text
        case .bigint: .int8
        case .boolean: .bool
        }
    }
}

extension PostgresBindings {
    /// Appends a row's values, one parameter each.
    mutating func append(_ values: [ColumnValue]) {
        for value in values {
            switch value {
            case .text(let text): self.append(text)
            case .int(let number): self.append(number)
            case .bool(let flag): self.append(flag)
            }
        }
    }
}

/// One column of many rows as one array parameter, NULLs included (postgres-nio's own arrays have no NULL
/// elements). PostgreSQL's binary array format: dimensions, a has-NULLs flag, the element type, the length and
/// lower bound of the one dimension, then each element as its length (-1: NULL) and bytes.
struct ColumnArray: PostgresDynamicTypeEncodable {
    var type: ColumnType
    var values: [ColumnValue]

    var psqlType: PostgresDataType { self.type.arrayType }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(Int32(self.values.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(self.values.contains(where: \.isNull) ? 1 : 0))
        buffer.writeInteger(self.type.elementType.rawValue)
        guard !self.values.isEmpty else { return }
        buffer.writeInteger(Int32(self.values.count))
        buffer.writeInteger(Int32(1))
        for value in self.values {
            switch (self.type, value) {
            case (.text, .text(let text?)):
                buffer.writeInteger(Int32(text.utf8.count))
                buffer.writeString(text)
            case (.bigint, .int(let number?)):
                buffer.writeInteger(Int32(8))
                buffer.writeInteger(number)
            case (.boolean, .bool(let flag?)):
                buffer.writeInteger(Int32(1))
                buffer.writeInteger(UInt8(flag ? 1 : 0))
            case _ where value.isNull:
                buffer.writeInteger(Int32(-1))
            default:
                preconditionFailure("a \(value) in a column of type \(self.type)")
            }
        }
    }
}

extension ColumnValue {
    var isNull: Bool {
        switch self {
        case .text(let text): text == nil
        case .int(let number): number == nil
        case .bool(let flag): flag == nil
        }
    }
}
