import Booking
import Foundation

/// The words emails and calendar events put around the templates (buttons, labels, date patterns, the texts of a
/// calendar event), one catalog a language: `Templates/<language>/words.json`.
public struct EmailWords: Hashable, Sendable {
    let catalogs: [Language: [String: String]]

    /// The catalogs this build carries, read once.
    public static let bundled: EmailWords = {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            return EmailWords(catalogs: [:])
        }
        // NB: a catalog that does not read leaves its words showing their keys (never a crash); the composer reads
        // the same files with `load` and refuses to start on one, and a test compares both languages' keys.
        return (try? Self.load(folder)) ?? EmailWords(catalogs: [:])
    }()

    /// Reads every language's catalog from a templates folder.
    static func load(_ folder: URL) throws -> EmailWords {
        var catalogs: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let file = folder.appendingPathComponent(language.rawValue).appendingPathComponent("words.json")
            catalogs[language] = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: file))
        }
        return EmailWords(catalogs: catalogs)
    }

    /// A word of `language` (else English, else its key), with its `{name}` values filled in.
    public func word(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        var text = self.catalogs[language]?[key] ?? self.catalogs[.en]?[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}
