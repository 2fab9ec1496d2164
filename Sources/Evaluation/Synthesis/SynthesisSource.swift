import Datasets
import Foundation
import Training

/// The source masks of a synthesis run, in file-name order: one split of `--seg_dir`
/// (MASK/<seg type>/<split>/NAME, every seg type) or a flat folder (`--masks DIR`), read at the
/// model's size as the model reads its masks.
enum SynthesisSource {
    static func open(_ options: SynthesisOptions, model: EvaluationModel) throws -> EvaluationData {
        let card = model.card
        let size = model.imageSize > 0 ? model.imageSize : options.sampling.imageSize
        var data = DatasetOptions(imageDirectory: nil, maskDirectory: nil, splits: [options.split], imageChannels: model.imageChannels,
                                  segmentationClasses: model.classCount, imageSize: size, normalization: card.normalization,
                                  maskEncoding: card.maskEncoding, channelMode: card.segmentationChannelMode)
        let dataset: Dataset
        let source: String
        let split: Split
        switch (options.sampling.maskFolder, options.sampling.maskDirectory) {
        case (let folder?, nil):
            // A model of one seg type takes the folder as that type.
            let layout = try EvaluationData.maskFolderLayout(folder, segType: card.segTypes.count == 1 ? card.segTypes[0] : nil)
            data.splits = [.test]
            dataset = try Dataset.open(data, layout: layout)
            source = folder
            split = .test
        case (nil, let directory?):
            data.maskDirectory = directory
            dataset = try Dataset.open(data)
            source = directory
            split = options.split
        case (.some, .some):
            throw UsageError("segmadiff synthesize takes its masks from --seg_dir (with --split) or from --masks DIR, not both; drop one")
        case (nil, nil):
            throw UsageError("segmadiff synthesize needs masks: --seg_dir DATA/masks --split train (MASK/<seg type>/<split>/), or --masks DIR (a folder of mask files)")
        }
        if card.segmentationChannelMode == .multi, !card.segTypes.isEmpty, card.segTypes != dataset.segTypes {
            throw UsageError("\(source): the seg types are \(dataset.segTypes), but the model was trained on \(card.segTypes) (multi mode: one channel each); give masks with the model's seg types")
        }
        try model.checkChannels(segTypeCount: dataset.segTypes.count)
        return EvaluationData(dataset: dataset, samples: dataset.samples(split), source: source, imageSize: size)
    }
}
