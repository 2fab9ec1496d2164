import Foundation

/// Where a NIfTI-1 volume's voxels lie in the scanner's space: the header's qform and sform, kept
/// as the float32 fields they are stored in, so that a volume written with them has exactly the
/// header geometry of the one they were read from (and overlays it in every viewer).
public struct NiftiGeometry: Equatable, Sendable {
    /// qform_code and sform_code (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI).
    public var qformCode: Int
    public var sformCode: Int
    /// quatern_b, quatern_c, quatern_d.
    public var quaternion: [Double]
    /// qoffset_x, qoffset_y, qoffset_z.
    public var offset: [Double]
    /// pixdim[0]: -1 for a left-handed qform (the third voxel axis flipped), else 1.
    public var qfac: Double
    /// srow_x, srow_y, srow_z: the rows of the sform's 3 x 4 matrix.
    public var sform: [[Double]]
    /// xyzt_units (spatial and temporal units, e.g. 10 = mm and s).
    public var units: UInt8

    public init(qformCode: Int = 0, sformCode: Int = 0, quaternion: [Double] = [0, 0, 0], offset: [Double] = [0, 0, 0],
                qfac: Double = 1, sform: [[Double]] = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], units: UInt8 = 0) {
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.quaternion = quaternion
        self.offset = offset
        self.qfac = qfac
        self.sform = sform
        self.units = units
    }

    /// No qform or sform: the voxel grid scaled by the spacing (NIfTI's "method 1").
    public static let unknown = NiftiGeometry()

    /// A scanner-space geometry given by the 3 x 4 voxel-to-world matrix `affine` (rows x, y, z),
    /// stored both as sform and as the qform closest to it, as nibabel's `set_qform`/`set_sform`
    /// do; `spacing` must be the lengths of its columns for the qform to equal it.
    public static func scanner(affine: [[Double]], spacing: [Double]) -> NiftiGeometry {
        let rotation = (0..<3).map { i in (0..<3).map { j in affine[i][j] / max(spacing[j], 1e-12) } }
        let (quaternion, qfac) = quaternionOf(rotation)
        return NiftiGeometry(qformCode: 1, sformCode: 1, quaternion: quaternion,
                             offset: affine.map { $0[3] }, qfac: qfac, sform: affine, units: 2)
    }

    /// The 3 x 4 voxel-to-world matrix a reader uses: the sform when its code is set, else the
    /// qform when its code is set, else the spacing on the diagonal (the NIfTI-1 standard's order).
    public func affine(spacing: [Double]) -> [[Double]] {
        if sformCode > 0 { return sform }
        if qformCode > 0 { return qformAffine(spacing: spacing) }
        return (0..<3).map { i in (0..<4).map { j in j == i ? spacing[i] : 0 } }
    }

    /// nifti1_io's quatern_to_mat44: the rotation from quatern_b/c/d, columns scaled by the
    /// spacing (the third by qfac), offset by qoffset.
    public func qformAffine(spacing: [Double]) -> [[Double]] {
        var (b, c, d) = (quaternion[0], quaternion[1], quaternion[2])
        var a = 1 - (b * b + c * c + d * d)
        if a < 1e-7 {
            // Round-off made |(b, c, d)| reach 1: a 180-degree rotation; renormalise as nifti1_io does.
            let scale = 1 / (b * b + c * c + d * d).squareRoot()
            (b, c, d, a) = (b * scale, c * scale, d * scale, 0)
        } else {
            a = a.squareRoot()
        }
        let rotation = [
            [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
        ]
        let sizes = [spacing[0] > 0 ? spacing[0] : 1, spacing[1] > 0 ? spacing[1] : 1,
                     (spacing[2] > 0 ? spacing[2] : 1) * (qfac < 0 ? -1 : 1)]
        return (0..<3).map { i in (0..<3).map { j in rotation[i][j] * sizes[j] } + [offset[i]] }
    }

    /// The unit quaternion (b, c, d, with a >= 0) and qfac of a rotation matrix, possibly
    /// left-handed (nifti1_io's mat44_to_quatern for an orthonormal matrix).
    static func quaternionOf(_ matrix: [[Double]]) -> (quaternion: [Double], qfac: Double) {
        var r = matrix
        let determinant = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
            - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
        let qfac: Double = determinant < 0 ? -1 : 1
        if qfac < 0 { for i in 0..<3 { r[i][2] = -r[i][2] } }
        var a = r[0][0] + r[1][1] + r[2][2] + 1
        var b: Double, c: Double, d: Double
        if a > 0.5 {
            a = 0.5 * a.squareRoot()
            b = 0.25 * (r[2][1] - r[1][2]) / a
            c = 0.25 * (r[0][2] - r[2][0]) / a
            d = 0.25 * (r[1][0] - r[0][1]) / a
        } else {
            let xd = 1 + r[0][0] - (r[1][1] + r[2][2]), yd = 1 + r[1][1] - (r[0][0] + r[2][2]), zd = 1 + r[2][2] - (r[0][0] + r[1][1])
            if xd > 1 {
                b = 0.5 * xd.squareRoot()
                c = 0.25 * (r[0][1] + r[1][0]) / b
                d = 0.25 * (r[0][2] + r[2][0]) / b
                a = 0.25 * (r[2][1] - r[1][2]) / b
            } else if yd > 1 {
                c = 0.5 * yd.squareRoot()
                b = 0.25 * (r[0][1] + r[1][0]) / c
                d = 0.25 * (r[1][2] + r[2][1]) / c
                a = 0.25 * (r[0][2] - r[2][0]) / c
            } else {
                d = 0.5 * zd.squareRoot()
                b = 0.25 * (r[0][2] + r[2][0]) / d
                c = 0.25 * (r[1][2] + r[2][1]) / d
                a = 0.25 * (r[1][0] - r[0][1]) / d
            }
            if a < 0 { (b, c, d) = (-b, -c, -d) }
        }
        return ([b, c, d], qfac)
    }

    /// For each voxel axis (x, y, z), the world axis it runs along most (0 left-right, 1
    /// posterior-anterior, 2 inferior-superior) and whether it runs towards R, A or S (+1) or
    /// away (-1): nibabel's `aff2axcodes` for axis-aligned and moderately oblique volumes.
    public func orientation(spacing: [Double]) -> VoxelOrientation {
        VoxelOrientation(affine: affine(spacing: spacing))
    }
}

/// The anatomical direction of each voxel axis, e.g. RAS or LPI (the letter each axis runs towards).
public struct VoxelOrientation: Equatable, Sendable, CustomStringConvertible {
    /// For voxel axes x, y, z: the world axis (0 R-L, 1 A-P, 2 S-I).
    public var worldAxes: [Int]
    /// For voxel axes x, y, z: +1 when the index grows towards R, A or S.
    public var signs: [Int]

    public init(worldAxes: [Int], signs: [Int]) {
        self.worldAxes = worldAxes
        self.signs = signs
    }

    /// From a 3 x 4 (or 3 x 3) voxel-to-world matrix: the assignment of world axes to voxel axes
    /// that keeps the most of each column's length (all six tried), so an oblique volume gets the
    /// axes it is closest to.
    public init(affine: [[Double]]) {
        let columns = (0..<3).map { j in (0..<3).map { i in affine[i][j] } }
        let lengths = columns.map { max(($0.map { $0 * $0 }.reduce(0, +)).squareRoot(), 1e-12) }
        let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let best = permutations.max { p, q in
            Self.score(p, columns, lengths) < Self.score(q, columns, lengths)
        }!
        worldAxes = best
        signs = (0..<3).map { j in columns[j][best[j]] < 0 ? -1 : 1 }
    }

    private static func score(_ p: [Int], _ columns: [[Double]], _ lengths: [Double]) -> Double {
        (0..<3).map { j in abs(columns[j][p[j]]) / lengths[j] }.reduce(0, +)
    }

    /// "RAS", "LPI", ...: the direction each voxel axis runs towards.
    public var description: String {
        let letters = [["L", "R"], ["P", "A"], ["I", "S"]]
        return (0..<3).map { letters[worldAxes[$0]][signs[$0] > 0 ? 1 : 0] }.joined()
    }

    /// Parses "RAS"-style codes; nil unless each world axis appears once.
    public init?(codes: String) {
        let table: [Character: (Int, Int)] = ["R": (0, 1), "L": (0, -1), "A": (1, 1), "P": (1, -1), "S": (2, 1), "I": (2, -1)]
        let parsed = codes.uppercased().compactMap { table[$0] }
        guard parsed.count == 3, codes.count == 3, Set(parsed.map(\.0)).count == 3 else { return nil }
        worldAxes = parsed.map(\.0)
        signs = parsed.map(\.1)
    }

    /// The voxel axis (0 x, 1 y, 2 z) that runs along world axis `world`.
    public func voxelAxis(alongWorld world: Int) -> Int { worldAxes.firstIndex(of: world)! }
}
