import Foundation

/// Where each slice of an imported data set came from and which split it went to, written as
/// `OUTPUT/slices.csv` so that anyone can check that no volume or slab reaches two splits:
///
///     name,split,volume,slice_index
///     ch2_z060.png,train,/usr/share/mricron/templates/ch2.nii.gz,60
///     ch2_z061.png,unused,/usr/share/mricron/templates/ch2.nii.gz,61
///
/// Gap slices are listed with split `unused` (their name is the one they would have had).
public struct SliceProvenance: Equatable, Sendable {
    public var name: String
    public var role: SliceRole
    /// The source volume's file (the image volume as given).
    public var volume: String
    /// Index of the slice along the slicing axis, in voxel order.
    public var sliceIndex: Int

    public init(name: String, role: SliceRole, volume: String, sliceIndex: Int) {
        self.name = name
        self.role = role
        self.volume = volume
        self.sliceIndex = sliceIndex
    }

    public static let fileName = "slices.csv"
    static let header = "name,split,volume,slice_index"

    /// The CSV text, one row per slice in the order given.
    public static func csv(_ rows: [SliceProvenance]) -> String {
        ([header] + rows.map { [quoted($0.name), $0.role.rawValue, quoted($0.volume), String($0.sliceIndex)].joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }

    /// Reads a file written by `csv`.
    public static func read(_ path: String) throws -> [SliceProvenance] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataError("\(path): cannot be read; it should be the slices.csv an import wrote")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.first == header else { throw DataError("\(path): the first line is not \(header)") }
        lines.removeFirst()
        return try lines.enumerated().map { number, line in
            let fields = fieldsOf(line)
            guard fields.count == 4, let role = SliceRole(rawValue: fields[1]), let index = Int(fields[3]) else {
                throw DataError("\(path) line \(number + 2) is not NAME,SPLIT,VOLUME,SLICE_INDEX")
            }
            return SliceProvenance(name: fields[0], role: role, volume: fields[2], sliceIndex: index)
        }
    }

    /// RFC 4180 quoting, only where a field needs it.
    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func fieldsOf(_ line: String) -> [String] {
        var fields: [String] = [], current = "", inQuotes = false
        var characters = line.makeIterator()
        while let c = characters.next() {
            if inQuotes {
                if c == "\"" {
                    // Either a doubled quote inside the field or the field's end.
                    var lookahead = characters
                    if lookahead.next() == "\"" { current.append("\""); characters = lookahead } else { inQuotes = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}
