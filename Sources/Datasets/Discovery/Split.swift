/// The seed's three data splits, each a folder under the image and mask roots.
public enum Split: String, CaseIterable, Codable, Sendable {
    case train, val, test
}
