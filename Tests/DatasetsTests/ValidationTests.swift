import Datasets
import Foundation
import Testing
import Torch

/// The bad-input table (docs/architecture.md §10): each broken data set gives one line naming the file and the fix,
/// before any work, and nothing in the data folder is written.
@Suite("Data validation")
struct ValidationTests {
    private func expectError(_ data: TestDataSet, _ options: DatasetOptions, _ message: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let before = data.snapshot()
        let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) { try Dataset.open(options) }
        #expect(error?.message == message, sourceLocation: sourceLocation)
        #expect(error?.description.contains("\n") == false, sourceLocation: sourceLocation)
        #expect(data.snapshot() == before, "the data folder changed", sourceLocation: sourceLocation)
    }

    @Test func missingSplitFolderTheModeNeeds() {
        let data = TestDataSet.standard(splits: ["train"])
        expectError(data, data.options(splits: [.train, .val]),
                    "\(data.masks)/all/val: split folder not found; this mode needs the splits train, val for every seg type")
    }

    @Test func missingImageSplitFolder() {
        let data = TestDataSet.standard(splits: ["train"])
        data.addMask("val", "case_00.png")
        expectError(data, data.options(splits: [.train, .val]),
                    "\(data.images)/val: split folder not found; this mode needs the splits train, val")
    }

    @Test func evalModesDoNotNeedTheTrainSplit() throws {
        let data = TestDataSet.standard(splits: ["test"])
        let dataset = try Dataset.open(data.options(splits: [.test]))
        #expect(dataset.samples(.test).count == 4)
    }

    @Test func imageWithoutItsMask() {
        let data = TestDataSet.standard()
        data.remove("masks/all/train/case_02.png")
        expectError(data, data.options(),
                    "\(data.masks)/all/train/case_02.png: missing mask for \(data.images)/train/case_02.png; every sample needs a mask with the same file name in each seg type folder")
    }

    @Test func corruptImageFile() {
        let data = TestDataSet.standard()
        data.write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]), to: "images/val/case_01.png")
        expectError(data, data.options(),
                    "\(data.images)/val/case_01.png: cannot be decoded (corrupt PNG: the file ends early (truncated PNG)); replace or remove the file")
    }

    @Test func colourImageWhenOneChannelIsExpected() {
        let data = TestDataSet.standard()
        let colour = Tensor.randint(0, 256, [3, 16, 16], generator: Generator(seed: 2), .init(.uint8))
        try! ImageFile.writePNG(colour, to: data.images + "/train/case_01.png")
        expectError(data, data.options(),
                    "\(data.images)/train/case_01.png has 3 channels (RGB), but --num_img_channels is 1; convert it or pass --num_img_channels 3")
    }

    @Test func greyImageWhenThreeChannelsAreExpected() {
        let data = TestDataSet.standard()
        expectError(data, data.options(channels: 3),
                    "\(data.images)/train/case_00.png has 1 channel (grey), but --num_img_channels is 3; convert it or pass --num_img_channels 1")
    }

    @Test func maskLabelNotBelowTheClassCount() {
        let data = TestDataSet.standard()
        data.addMask("val", "case_03.png", label: 7)
        expectError(data, data.options(classes: 3),
                    "\(data.masks)/all/val/case_03.png has label 7, but --num_segmentation_classes is 3 (labels 0-2); pass --num_segmentation_classes 8 or correct the mask")
    }

    @Test func emptySplit() {
        let data = TestDataSet.standard(splits: ["train"])
        try! FileManager.default.createDirectory(atPath: data.images + "/val", withIntermediateDirectories: true)
        try! FileManager.default.createDirectory(atPath: data.masks + "/all/val", withIntermediateDirectories: true)
        expectError(data, data.options(),
                    "\(data.images)/val: no images (the val split is empty); add images or check --img_dir")
    }

    @Test func maskSizeDifferentFromItsImage() {
        let data = TestDataSet.standard()
        data.addMask("train", "case_01.png", size: 8)
        expectError(data, data.options(),
                    "\(data.masks)/all/train/case_01.png is 8x8, but its image \(data.images)/train/case_01.png is 16x16; a mask must have its image's size")
    }

    @Test func colourMask() {
        let data = TestDataSet.standard()
        let colour = Tensor.randint(0, 3, [3, 16, 16], generator: Generator(seed: 2), .init(.uint8))
        try! ImageFile.writePNG(colour, to: data.masks + "/all/train/case_00.png")
        expectError(data, data.options(),
                    "\(data.masks)/all/train/case_00.png: the mask has colour pixels; save labels as a grey or palette PNG (one integer label per pixel)")
    }

    @Test func unsupportedFileInASplit() {
        let data = TestDataSet.standard()
        data.write(Data("notes".utf8), to: "images/train/notes.txt")
        expectError(data, data.options(),
                    "\(data.images)/train/notes.txt: unsupported file type; use PNG, JPEG or NPY files (or move it out of the data folder)")
    }

    @Test func imageSizeNotPositive() {
        let data = TestDataSet.standard()
        expectError(data, data.options(size: 0), "--img_size 0 must be positive; use for example 256")
    }

    @Test func maskOnlyEvaluationNeedsEveryTypeToHaveTheMask() {
        let data = TestDataSet.standard(splits: ["test"])
        data.addMask("test", "case_00.png", type: "organs")
        expectError(data, data.options(splits: [.test], images: false),
                    "\(data.masks)/organs/test/case_01.png: missing mask for \(data.masks)/all/test/case_01.png; every sample needs a mask with the same file name in each seg type folder")
    }

    @Test func segTypesAreSortedAndDotFilesIgnored() throws {
        let data = TestDataSet.standard(splits: ["test"])
        for i in 0..<4 { data.addMask("test", String(format: "case_%02d.png", i), type: "a_first") }
        data.write(Data(), to: "masks/.DS_Store")
        data.write(Data(), to: "masks/readme.txt")
        data.write(Data(), to: "images/test/.hidden.png")
        let dataset = try Dataset.open(data.options(splits: [.test], images: false))
        #expect(dataset.segTypes == ["a_first", "all"])
        #expect(dataset.samples(.test).map(\.name) == ["case_00.png", "case_01.png", "case_02.png", "case_03.png"])
        #expect(dataset.samples(.test)[0].image == nil)
    }
}
