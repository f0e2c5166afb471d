/// Which staff member takes a start that several could take. The one place the choice is made, for the slots a
/// client is shown, the slot a client claims and the slot an admin books by hand; assignment policies (round
/// robin, least booked, the client's usual staff member) plug in here as new cases.
public enum StaffAssignment: Hashable, Sendable {
    /// The first free staff member in schedule order (the order of the practice setup).
    case firstInScheduleOrder

    /// Picks one of `candidates`: slots at one start, each free for its staff member, in schedule order.
    public func choose(_ candidates: [Slot]) -> Slot? {
        switch self {
        case .firstInScheduleOrder: candidates.first
        }
    }
}
