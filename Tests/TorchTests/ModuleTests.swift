import Testing
@testable import Torch

/// A small module tree with a renamed child, an array of children and an optional parameter.
private final class Block: Module {
    @Child var norm: GroupNorm
    @Child(key: "to_out.0") var output: Linear
    @Child var convs: [Conv2d]
    @Parameter var scale: Tensor?
    let buffer = Tensor.ones([3]) // not a parameter

    init(withScale: Bool) {
        norm = GroupNorm(groups: 2, channels: 4)
        _output.wrappedValue = Linear(4, 2)
        convs = [Conv2d(4, 4, kernelSize: 3, padding: 1), Conv2d(4, 4, kernelSize: 1, bias: false)]
        scale = withScale ? Tensor.ones([1]) : nil
    }
}

@Suite struct ModuleTests {
    @Test func keysFollowPropertiesAndWrappers() {
        let keys = Block(withScale: false).namedParameters().map(\.key)
        #expect(keys == ["norm.weight", "norm.bias", "to_out.0.weight", "to_out.0.bias",
                         "convs.0.weight", "convs.0.bias", "convs.1.weight"])
        #expect(Block(withScale: true).stateDict()["scale"] != nil)
    }

    @Test func loadCopiesInPlaceAndReportsMismatchesByName() throws {
        let a = Block(withScale: false), b = Block(withScale: false)
        let weight = b.convs[0].weight
        try b.load(stateDict: a.stateDict())
        #expect(b.convs[0].weight === weight, "loading must keep the parameter objects")
        #expect(b.convs[0].weight.eq(a.convs[0].weight).all().item == 1)

        var broken = a.stateDict()
        broken["norm.weight"] = Tensor.ones([5])
        broken["convs.1.weight"] = nil
        broken["extra.bias"] = Tensor.ones([1])
        do {
            try b.load(stateDict: broken)
            Issue.record("a mismatched state dict must not load")
        } catch let error as StateDictMismatch {
            let text = "\(error)"
            #expect(text.contains("norm.weight is [5] but the model expects [4]"))
            #expect(text.contains("missing keys: convs.1.weight"))
            #expect(text.contains("unexpected keys: extra.bias"))
        }
        // Without strict, keys the model does not have are ignored.
        try b.load(stateDict: a.stateDict().merging(["extra.bias": Tensor.ones([1])]) { x, _ in x }, strict: false)
    }

    @Test func initialisationFollowsPyTorchBounds() {
        Engine.manualSeed(1)
        let conv = Conv2d(16, 8, kernelSize: 3)
        let bound = 1 / Double(16 * 9).squareRoot()
        #expect(conv.weight.abs().max().item <= bound)
        #expect(conv.weight.abs().max().item > 0.9 * bound)
        #expect(conv.bias!.abs().max().item <= bound)
    }
}
