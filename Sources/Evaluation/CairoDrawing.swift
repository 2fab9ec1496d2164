import CCairo
import Foundation

/// A figure drawn once with cairo and rendered as PNG (raster) and PDF (vector) bytes, through
/// cairo's stream writers so the files can be written atomically by the caller.
struct CairoDrawing {
    /// The figure's size in drawing units (PNG pixels; PDF points at `pdfScale`).
    let width: Double
    let height: Double
    let draw: (OpaquePointer) -> Void

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func png(scale: Double = 1) throws -> Data {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32((width * scale).rounded(.up)), Int32((height * scale).rounded(.up)))!
        defer { cairo_surface_destroy(surface) }
        try render(on: surface, scale: scale)
        let sink = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
        try Self.check(status, "PNG")
        return sink.data
    }

    func pdf(scale: Double = 0.5) throws -> Data {
        let sink = ByteSink()
        let surface = cairo_pdf_surface_create_for_stream(ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(),
                                                          width * scale, height * scale)!
        try render(on: surface, scale: scale)
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        try Self.check(status, "PDF")
        return sink.data
    }

    private func render(on surface: OpaquePointer, scale: Double) throws {
        let context = cairo_create(surface)!
        defer { cairo_destroy(context) }
        cairo_scale(context, scale, scale)
        draw(context)
        try Self.check(cairo_status(context), "drawing")
    }

    private static func check(_ status: cairo_status_t, _ what: String) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw Failure(description: "cairo \(what): \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// Collects the bytes cairo streams out.
    private final class ByteSink {
        var data = Data()

        static let write: cairo_write_func_t = { closure, bytes, length in
            let sink = Unmanaged<ByteSink>.fromOpaque(closure!).takeUnretainedValue()
            if let bytes { sink.data.append(bytes, count: Int(length)) }
            return CAIRO_STATUS_SUCCESS
        }
    }
}

/// Small drawing helpers over a cairo context.
enum Cairo {
    /// An RGB image surface from [H][W] pixels given as (r, g, b) bytes, row-major; the caller destroys it.
    static func imageSurface(width: Int, height: Int, pixel: (Int, Int) -> MaskPalette.Colour) -> OpaquePointer {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))!
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let base = cairo_image_surface_get_data(surface)!
        for y in 0..<height {
            let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                let c = pixel(y, x)
                row[x] = UInt32(c.red) << 16 | UInt32(c.green) << 8 | UInt32(c.blue)
            }
        }
        cairo_surface_mark_dirty(surface)
        return surface
    }

    /// Paints `surface` scaled into the square (x, y, side), pixels kept sharp.
    static func paint(_ context: OpaquePointer, _ surface: OpaquePointer, x: Double, y: Double, side: Double) {
        paint(context, surface, x: x, y: y, width: side, height: side)
    }

    /// Paints `surface` stretched into the rectangle (x, y, width, height), pixels kept sharp.
    static func paint(_ context: OpaquePointer, _ surface: OpaquePointer, x: Double, y: Double, width: Double, height: Double) {
        let pixelsWide = Double(cairo_image_surface_get_width(surface)), pixelsHigh = Double(cairo_image_surface_get_height(surface))
        cairo_save(context)
        cairo_translate(context, x, y)
        cairo_scale(context, width / pixelsWide, height / pixelsHigh)
        cairo_set_source_surface(context, surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_paint(context)
        cairo_restore(context)
    }

    static func text(_ context: OpaquePointer, _ string: String, x: Double, y: Double, size: Double, bold: Bool = false) {
        cairo_select_font_face(context, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
        cairo_move_to(context, x, y)
        cairo_show_text(context, string)
    }

    static func fill(_ context: OpaquePointer, _ colour: MaskPalette.Colour, x: Double, y: Double, width: Double, height: Double) {
        cairo_set_source_rgb(context, Double(colour.red) / 255, Double(colour.green) / 255, Double(colour.blue) / 255)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }
}
