import ArgumentParser
import Foundation

/// `segmadiff sample`: eval_many (exactly --eval_sample_size images, each with the mask it used and a
/// manifest) from the test split of --seg_dir, or from any folder of mask files with --masks.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate exactly --eval_sample_size images conditioned on masks (the seed's --mode eval_many).",
        discussion: """
            Writes OUTPUT/samples_many_<N>/NAME.png (NPY for other than 1 or 3 channels, or in the \
            input's units for a model trained with --normalization window:LOW,HIGH), the mask each image \
            used as masks/NAME.png (integer labels; the ablated one with --use_ablated_segmentations), \
            and manifest.json. Masks are taken in file-name order and reused with a counter suffix when \
            there are fewer masks than images. A stopped run continues where it was when run again.
            Example: segmadiff sample --checkpoint_dir run --masks my_masks --eval_sample_size 100 --sampler dpmpp
            """)

    @OptionGroup var options: RunOptions

    @Option(name: .customLong("masks"), help: "A folder of mask files (PNG, JPEG or NPY label maps) to sample from instead of --seg_dir's test split.")
    var masks: String?

    func run() throws {
        var options = options
        options.mode = .evalMany
        try ModeRunner(options: options).run(maskFolder: masks)
    }
}
