import Datasets
import Foundation
import Testing

/// The page in headless Chromium: paint a stroke of a class on the tiny run's mask, press Generate,
/// and the image and the returned mask change where the stroke was. The screenshot is kept.
@Suite(.serialized, .enabled(if: WebDriver.installed, "chromium and chromium-driver are not installed; scripts/setup.sh installs them (as root)"))
struct StudioBrowserTests {
    /// Where test artefacts go: .build/test-artifacts of this checkout.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")

    @Test func aPaintedStrokeChangesTheGeneratedImageThere() throws {
        let tiny = TinyStudioRun.shared
        let studio = try StudioProcess(runs: [tiny.runs], data: tiny.data)
        let browser = try WebDriver()
        try browser.open(studio.address)
        try browser.wait(for: "return !!(window.studio && window.studio.ready && window.studio.sourceImage)", timeout: 30, "the editor")
        _ = try browser.execute("document.querySelector('#steps').value = '6'; document.querySelector('#seeds').value = '5';")

        // The unedited mask first, then the same seed with a stroke of class 2 across the middle.
        let before = try generate(in: browser)
        let startLabels = try #require(try browser.execute("return Array.from(window.studio.labels)") as? [Int])
        try browser.click("#classes li[data-label='2']")
        try browser.stroke(on: "#mask-canvas", from: (-150, 0), to: (150, 0))
        let painted = try #require(try browser.execute("return Array.from(window.studio.labels)") as? [Int])
        let stroke = painted.indices.filter { painted[$0] != startLabels[$0] }
        #expect(stroke.count >= 8, "the stroke changed \(stroke.count) pixels")
        #expect(stroke.allSatisfy { painted[$0] == 2 && abs($0 / 16 - 8) <= 2 }, "\(stroke)")
        let after = try generate(in: browser)

        let client = studio.client
        let returnedMask = try PixelCodec.decode(try client.get("/api/jobs/\(after)/mask.png").body).samples.to(.int64).scalars(as: Int64.self)
        #expect(returnedMask.map(Int.init) == painted)
        let firstMask = try PixelCodec.decode(try client.get("/api/jobs/\(before)/mask.png").body).samples.to(.int64).scalars(as: Int64.self)
        #expect(firstMask.map(Int.init) == startLabels)
        let image = { (job: String) throws -> [Int64] in
            try PixelCodec.decode(try client.get("/api/jobs/\(job)/image/0.png").body).samples.to(.int64).scalars(as: Int64.self)
        }
        let (old, new) = (try image(before), try image(after))
        let changeInStroke = stroke.map { abs(new[$0] - old[$0]) }.reduce(0, +)
        #expect(changeInStroke > 0, "the image did not change under the stroke")

        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let shot = Self.artifacts.appendingPathComponent("studio-browser.png")
        try browser.screenshot().write(to: shot)
        print("studio browser test: screenshot at \(shot.path)")
    }

    /// The README's picture: the editor on a real run (STUDIO_SCREENSHOT_RUNS, with
    /// STUDIO_SCREENSHOT_DATA), a stroke painted, three seeds generated; written to
    /// STUDIO_SCREENSHOT_OUT (docs/studio.png). Runs only when asked.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STUDIO_SCREENSHOT_RUNS"] != nil))
    func documentationScreenshot() throws {
        let environment = ProcessInfo.processInfo.environment
        let runs = URL(fileURLWithPath: environment["STUDIO_SCREENSHOT_RUNS"]!)
        let studio = try StudioProcess(runs: [runs], data: environment["STUDIO_SCREENSHOT_DATA"].map { URL(fileURLWithPath: $0) })
        let browser = try WebDriver(width: 1300, height: 1000)
        try browser.open(studio.address)
        try browser.wait(for: "return !!(window.studio && window.studio.ready)", timeout: 30, "the editor")
        _ = try browser.execute("document.querySelector('#start').selectedIndex = Math.min(4, document.querySelector('#start').options.length - 1);")
        try browser.click("#load-start")
        try browser.wait(for: "return window.studio.sourceImage === document.querySelector('#start').value.split('|')[2]", timeout: 30, "the chosen mask")
        _ = try browser.execute("document.querySelector('#steps').value = '50'; document.querySelector('#seeds').value = '0, 1, 2';")
        try browser.click("#classes li[data-label='2']")
        _ = try browser.execute("const s = document.querySelector('#brush-size'); s.value = '2'; s.dispatchEvent(new Event('input'));")
        try browser.stroke(on: "#mask-canvas", from: (-40, 60), to: (50, 70))
        _ = try generate(in: browser)
        // The generated anatomy itself, without the class colours over it.
        try browser.click("#show-masks")
        Thread.sleep(forTimeInterval: 0.5)
        let out = URL(fileURLWithPath: environment["STUDIO_SCREENSHOT_OUT"] ?? Self.artifacts.appendingPathComponent("studio.png").path)
        try browser.screenshot().write(to: out)
        print("studio screenshot: \(out.path)")
    }

    /// Presses Generate and waits for the job's images; returns the job id.
    private func generate(in browser: WebDriver) throws -> String {
        let previous = try browser.execute("return window.studio.lastJob ? window.studio.lastJob.id : ''") as? String ?? ""
        try browser.click("#generate")
        try browser.wait(for: "const job = window.studio.lastJob; return !!(job && job.id !== '\(previous)' && job.state === 'done' && document.querySelector('#result-0 img.results-image').complete)",
                         timeout: 120, "the generated image")
        return try #require(try browser.execute("return window.studio.lastJob.id") as? String)
    }
}
