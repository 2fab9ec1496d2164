import Datasets
import Foundation
import Testing
import TestSupport
import Torch

@Suite("Image files")
struct CodecTests {
    let folder = TemporaryFolder()

    private func ramp(_ shape: [Int], _ dtype: DType, scale: Double) -> Tensor {
        let n = shape.reduce(1, *)
        return (Tensor.arange(0, Double(n), .init(.float64)) * scale).remainder(dtype == .uint8 ? 256 : 65536)
            .reshaped(shape).to(dtype)
    }

    @Test(arguments: [(1, DType.uint8), (3, .uint8), (1, .uint16), (3, .uint16)])
    func pngRoundTripKeepsEverySample(channels: Int, dtype: DType) throws {
        let samples = ramp([channels, 9, 13], dtype, scale: dtype == .uint8 ? 7 : 1234.5)
        let path = folder.path + "/image.png"
        try ImageFile.writePNG(samples, to: path)
        let read = try ImageFile.read(path)
        #expect(read.samples.shape == [channels, 9, 13])
        #expect(read.samples.dtype == dtype)
        #expect(read.bitDepth == (dtype == .uint8 ? 8 : 16))
        #expect(read.samples.to(.int64).eq(samples.to(.int64)).all().item == 1)
    }

    @Test func paletteMaskGivesIndicesNotColours() throws {
        // Written by PIL (mode "P", colours black, red, green, blue); the labels are (x/12 + y/15) % 4.
        let path = Fixtures.packageRoot.path + "/Tests/DatasetsTests/Fixtures/preprocess/palette_mask.png"
        let raw = try ImageFile.read(path)
        #expect(raw.isPalette)
        let labels = try #require(raw.labelPlane())
        let x = Tensor.arange(0, 45).reshaped(1, 1, 45), y = Tensor.arange(0, 45).reshaped(1, 45, 1)
        let expected = ((x / 12).floor() + (y / 15).floor()).remainder(4).to(.int64)
        #expect(labels.eq(expected).all().item == 1)
        // As a picture, the same file shows its colours: label 1 is red.
        let colours = raw.intensityPlanes()
        #expect(colours.channels == 3)
        #expect(colours.samples.selected(dim: 1, index: 0).selected(dim: 1, index: 12).scalars(as: UInt8.self) == [255, 0, 0])
    }

    @Test func rgbWithEqualChannelsCountsAsGrey() throws {
        let grey = ramp([1, 8, 8], .uint8, scale: 3)
        let path = folder.path + "/grey_as_rgb.png"
        try ImageFile.writePNG(grey.repeated([3, 1, 1]), to: path)
        let planes = try ImageFile.read(path).intensityPlanes()
        #expect(planes.channels == 1)
        #expect(planes.samples.eq(grey).all().item == 1)
    }

    @Test func jpegDecodesCloseToWhatWasEncoded() throws {
        let smooth = (Tensor.arange(0, 64, .init(.float32)).reshaped(1, 1, 64) * 2 + 40).expanded(to: [1, 48, 64])
        let pixels = smooth.contiguous().to(.uint8)
        let data = try PixelCodec.encodeJPEG(pixels, quality: 95)
        let path = folder.path + "/image.jpg"
        try data.write(to: URL(fileURLWithPath: path))
        let read = try ImageFile.read(path)
        #expect(read.samples.shape == [1, 48, 64])
        let error = (read.samples.to(.float32) - pixels.to(.float32)).abs().max().item
        #expect(error <= 4)
    }

    @Test(arguments: [DType.uint8, .uint16, .int16, .float32, .float64])
    func npyRoundTripKeepsTypeShapeAndValues(dtype: DType) throws {
        let values = (Tensor.arange(0, 2 * 5 * 7, .init(.float64)) - (dtype == .int16 ? 20 : 0)) * (dtype.isFloatingPoint ? 0.37 : 1)
        let tensor = values.reshaped(2, 5, 7).to(dtype)
        let path = folder.path + "/array.npy"
        try ImageFile.writeNPY(tensor, to: path)
        let read = try ImageFile.read(path)
        #expect(read.samples.dtype == dtype)
        #expect(read.samples.shape == [2, 5, 7])
        #expect(read.samples.to(.float64).eq(tensor.to(.float64)).all().item == 1)
    }

    @Test func npyOfShapeHWIsOneChannel() throws {
        let path = folder.path + "/plane.npy"
        try ImageFile.writeNPY(Tensor.ones([4, 6], .init(.float32)), to: path)
        #expect(try ImageFile.read(path).samples.shape == [1, 4, 6])
    }

    @Test func corruptPNGIsAnErrorNamingTheFile() throws {
        let path = folder.path + "/broken.png"
        try ImageFile.writePNG(ramp([1, 32, 32], .uint8, scale: 5), to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 60..<bytes.count - 20 { bytes[i] ^= 0x5A }  // scramble the compressed pixels
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try ImageFile.read(path) }
        #expect(error?.message.hasPrefix("\(path): cannot be decoded (corrupt PNG") == true)
    }

    @Test func truncatedJPEGIsAnErrorNotGreyRows() throws {
        let pixels = Tensor.randint(0, 256, [3, 64, 64], generator: Generator(seed: 1), .init(.uint8))
        let data = try PixelCodec.encodeJPEG(pixels)
        let path = folder.path + "/cut.jpg"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try ImageFile.read(path) }
        #expect(error?.message.hasPrefix("\(path): cannot be decoded (corrupt JPEG") == true)
    }

    @Test func truncatedNPYIsAnError() throws {
        let path = folder.path + "/cut.npy"
        let data = try NPYFile.encode(Tensor.ones([3, 8, 8], .init(.float32)))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try ImageFile.read(path) }
        #expect(error?.message.hasPrefix("\(path): cannot be decoded (the file ends early") == true)
    }

    @Test func fileThatIsNeitherPNGNorJPEGIsAnError() throws {
        let path = folder.path + "/text.png"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try ImageFile.read(path) }
        #expect(error?.message == "\(path): cannot be decoded (not a PNG or JPEG file); replace or remove the file")
    }
}
