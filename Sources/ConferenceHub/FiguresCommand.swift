// FiguresCommand: `conference-hub figures` — the case figures of a period, for all units and
// each unit (or one), as CSV for a spreadsheet or as the JSON of the `figures` command.
import ArgumentParser
import CaseCore
import Foundation

struct FiguresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Export the case figures of a period (answered, handling days, on-time and satisfaction rates…) as CSV or JSON.")

    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "First day of the period, YYYY-MM-DD (the conference's time zone).") var from: String
    @Option(help: "Last day of the period, YYYY-MM-DD (inclusive).") var to: String
    @Option(help: "One unit only (default: all units, then each unit).") var unit: String?
    @Option(help: "csv or json.") var format = "csv"

    func validate() throws {
        guard LocalDate(from) != nil, LocalDate(to) != nil else { throw ValidationError("--from and --to are days such as 2026-11-01") }
        guard format == "csv" || format == "json" else { throw ValidationError("--format is csv or json") }
        if let unit, !IdentifierRules.isValid(unit) { throw ValidationError("--unit is not a valid unit id") }
    }

    func run() async throws {
        let parameters: Figures.Parameters
        do {
            parameters = try Figures.checked(from: LocalDate(from)!, to: LocalDate(to)!, unit: unit.map(UnitID.init(rawValue:)))
        } catch {
            throw CommandFailure(error.message)
        }
        let (_, store) = try AdminCommand.openStore(data)
        defer { store.close() }
        let rows = try await store.figuresReport(from: parameters.from, to: parameters.to, unit: parameters.unit, now: Timestamp(Date()))
        if format == "csv" {
            print(FiguresCSV.text(rows), terminator: "")
        } else {
            let encoder = WireCoding.encoder
            encoder.outputFormatting.insert(.prettyPrinted)
            let output = Figures.Output(from: parameters.from.description, to: parameters.to.description, rows: rows.map(Figures.Row.init))
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
    }
}

/// The figures as CSV (RFC 4180): a header, then a row per unit, the row of all units first when
/// there is one, with an empty `unit` cell (as JSON has `"unit": null`: no name a unit could have);
/// rates as fractions with four decimals, days with two; an empty cell where nothing was measured.
enum FiguresCSV {
    static let header = "unit,answered,average_handling_days,on_time_rate,overdue,rated,satisfaction_rate,escalated,objections_raised,objections_upheld"

    static func text(_ rows: [UnitFiguresRow]) -> String {
        var lines = [header]
        for row in rows {
            let figures = row.figures
            func decimal(_ value: Double?, _ places: Int) -> String { value.map { String(format: "%.\(places)f", $0) } ?? "" }
            let cells = [
                cell(row.unit?.rawValue ?? ""), "\(figures.answered)", decimal(figures.averageHandlingDays, 2), decimal(figures.onTimeRate, 4),
                "\(figures.overdue)", "\(figures.rated)", decimal(figures.satisfactionRate, 4), "\(figures.escalated)",
                "\(figures.objectionsRaised)", "\(figures.objectionsUpheld)",
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A text cell, quoted when it holds a comma, a quote or a line break.
    static func cell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
