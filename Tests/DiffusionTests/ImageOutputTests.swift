import Testing
import Torch
@testable import Diffusion

@Suite struct ImageOutputTests {
    /// Appendix A.10: pixel = round(255·clamp(x/2 + 0.5, 0, 1)), half to even as numpy rounds.
    @Test func eightBitConversion() {
        let x = Tensor([-2, -1, 0, 1, 3, 0.5, -0.5, 1.0 / 255] as [Float], shape: [1, 1, 2, 4])
        let pixels = ImageOutput.eightBit(x)
        #expect(pixels.dtype == .uint8 && pixels.shape == [1, 1, 2, 4])
        // 0 maps to 127.5, which rounds to the even 128; 1/255 maps to 128.0.
        #expect(pixels.scalars(as: UInt8.self) == [0, 0, 128, 255, 255, 191, 64, 128])
    }

    @Test func unitRangeClamps() {
        let x = Tensor([-3, 0, 3] as [Float])
        #expect(ImageOutput.unitRange(x).scalars(as: Float.self) == [0, 0.5, 1])
    }
}
