import ArgumentParser
import Foundation

/// `segmadiff translate`: image-to-image translation (SDEdit) of a folder of real images under masks
/// of the same names, e.g. edited masks that grow, shrink or remove a structure.
struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate real images under (edited) masks: noise each image to timestep S x 1000, then denoise it under its mask.",
        discussion: """
            Writes OUTPUT/translated_<S>/NAME.png (NPY as for eval_many), the mask used as masks/NAME.png \
            and manifest.json with each source image. Strength 0 returns the images unchanged, 1 is \
            plain sampling from noise; 0.3-0.6 keeps the image and follows the new mask. Works with \
            every --sampler and with --guidance_scale. A stopped run continues where it was.
            Example: segmadiff translate --checkpoint_dir run --images scans --masks edited_masks --strength 0.5 --output_dir edits
            """)

    @OptionGroup var options: RunOptions

    @Option(name: .customLong("images"), help: "A folder of images (PNG, JPEG or NPY) to translate.")
    var images: String

    @Option(name: .customLong("masks"), help: "A folder with one mask per image, under the image's file name (needed by guided models).")
    var masks: String?

    func run() throws {
        try ModeRunner(options: options).translate(images: images, masks: masks)
    }
}
