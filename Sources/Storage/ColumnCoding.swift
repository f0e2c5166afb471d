import Booking
import Foundation
import GRDB
import Synchronization
import Workflow

// How values are stored: instants as INTEGER milliseconds since 1970 (UTC, Workflow's `Millis`), value types
// whole as JSON (Workflow's `ColumnJSON`, with its cache for the hot columns).

/// A record whose columns are declared once, in its `Columns` enum (in insert order): the INSERT statement's column
/// list, its arguments and GRDB's persistence container all derive from `value(of:)`.
protocol ColumnRecord: PersistableRecord
where Columns: CaseIterable & ColumnExpression & Hashable & RawRepresentable<String>, Columns.AllCases == [Columns] {
    /// Columns the database fills in (an autoincrement key): never written by an INSERT.
    static var generatedColumns: Set<Columns> { get }
    func value(of column: Columns) -> (any DatabaseValueConvertible)?
}

extension ColumnRecord {
    static var generatedColumns: Set<Columns> { [] }

    /// The columns an INSERT writes, in the order of `insertArguments`.
    static var insertColumns: [Columns] { Columns.allCases.filter { !Self.generatedColumns.contains($0) } }

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments { StatementArguments(Self.insertColumns.map(self.value(of:))) }

    func encode(to container: inout PersistenceContainer) throws {
        for column in Columns.allCases { container[column] = self.value(of: column) }
    }
}
