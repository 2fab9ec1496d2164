import Datasets
import Foundation
import ModelCard
import Testing
import TestSupport
import Torch

/// Against Tests/DatasetsTests/Fixtures/preprocess, written by scripts/fixtures/make_preprocess_fixture.py
/// with PIL and torch as the reference uses them: images within 1/255, masks exact.
@Suite("PIL parity")
struct PreprocessParityTests {
    static let folder = Fixtures.packageRoot.path + "/Tests/DatasetsTests/Fixtures/preprocess"
    static let size = 32

    private func expected(_ file: String) throws -> Tensor {
        let base = (file as NSString).deletingPathExtension
        return try ImageFile.read("\(Self.folder)/\(base).expected.npy").samples
    }

    @Test(arguments: ["grey8.png", "grey8_up.png", "rgb8.png", "grey16.png"])
    func imagesMatchPILWithinOneLevel(file: String) throws {
        let planes = try ImageFile.read("\(Self.folder)/\(file)").intensityPlanes()
        let ours = ImagePreprocessor(size: Self.size, normalization: .none)(planes)
        let reference = try expected(file)
        #expect(ours.shape == reference.shape, "\(file)")
        let error = (ours - reference).abs().max().item
        // Both sides are in [-1, 1], where one 8-bit level is 2/255.
        #expect(error <= 2.0 / 255 + 1e-6, "\(file): max difference \(error)")
    }

    @Test(arguments: ["palette_mask.png", "grey_mask.png"])
    func masksMatchPILNearestExactly(file: String) throws {
        let labels = try #require(try ImageFile.read("\(Self.folder)/\(file)").labelPlane())
        let ours = MaskPreprocessor(size: Self.size)(labels)
        let reference = try expected(file).to(.int64)
        #expect(ours.shape == reference.shape)
        #expect(ours.eq(reference).all().item == 1, "\(file)")
    }

    @Test func seedEncodingIsKOver255AndRoundTrips() {
        let labels = Tensor.arange(0, 256).reshaped(1, 1, 16, 16)
        let encoded = MaskEncoder(encoding: .seed, channelMode: .single, classes: 256, segTypeCount: 1).encoded(labels)
        // The reference recovers labels with int(255·m) (truncation); the round trip is exact (docs/python-reference.md §A.6).
        let recovered = (encoded * 255).to(.int64)
        #expect(recovered.eq(labels).all().item == 1)
        #expect(encoded.flattenedValues()[3] == Float(3) / 255)
    }
}

extension Tensor {
    func flattenedValues() -> [Float] { reshaped([-1]).scalars(as: Float.self) }
}
