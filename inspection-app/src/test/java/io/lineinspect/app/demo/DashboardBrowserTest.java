package io.lineinspect.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.lineinspect.app.SimRun;
import io.lineinspect.app.dashboard.LabelExport;
import io.lineinspect.app.dashboard.LabelStore;
import io.lineinspect.sim.SimStats;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator's screen in a real browser: Debian's {@code chromium}, headless at 1366×768, driven
 * through Debian's {@code chromium-driver} by Selenium, against a live demo line. The page's
 * counters are the cameras' own counts, the screen fits without scrolling, the filmstrip opens a
 * FAIL part whose image is in the archive with its audit record, a label is refused without the
 * operator credential and, given by the operator, ends up in {@code labels export}, and a killed
 * PLC raises an alarm that the operator acknowledges. Screenshots go to {@code
 * target/dashboard-screenshots/}.
 *
 * <p>Skipped, loudly, where chromium or chromium-driver is not installed; {@code
 * INSPECT_REQUIRE_CHROMIUM=1} (set by {@code .ci/run} when it installed them) makes that a failure.
 */
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("target", "dashboard-screenshots");

  @TempDir Path home;

  @BeforeAll
  static void browserIsHere() {
    boolean here = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!here) {
      String msg =
          "WARNING: Debian packages chromium and chromium-driver are not installed ("
              + CHROMIUM
              + ", "
              + DRIVER
              + "): the dashboard browser test is SKIPPED (apt-get install chromium"
              + " chromium-driver)";
      if ("1".equals(System.getenv("INSPECT_REQUIRE_CHROMIUM"))) {
        fail(msg + "; INSPECT_REQUIRE_CHROMIUM=1 says they must be here");
      }
      System.err.println(msg);
    }
    Assumptions.assumeTrue(here, "chromium and chromium-driver are not installed");
  }

  static ChromeDriver browser() {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--hide-scrollbars");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, o);
  }

  @Test
  void shouldShowTheLiveLineAndLetOnlyTheOperatorLabelAndAcknowledge() throws Exception {
    Files.createDirectories(SHOTS);
    try (LiveLine line = new LiveLine(home, 8)) {
      ChromeDriver b = browser();
      try {
        // A viewport of 1366×768 exactly (the window's decorations are not the page's).
        Map<?, ?> size =
            (Map<?, ?>) b.executeScript("return {w: window.innerWidth, h: window.innerHeight};");
        if (((Number) size.get("h")).intValue() != 768) {
          b.executeCdpCommand(
              "Emulation.setDeviceMetricsOverride",
              Map.of("width", 1366, "height", 768, "deviceScaleFactor", 1, "mobile", false));
        }
        b.get(line.url("/dashboard"));
        WebDriverWait wait = new WebDriverWait(b, Duration.ofSeconds(15));
        wait.until(d -> number(d.findElement(By.id("shift-total")).getText()) > 0);
        wait.until(d -> d.findElements(By.cssSelector("#cameras .camera")).size() == 2);
        wait.until(
            d -> !d.findElements(By.cssSelector("#filmstrip .shot img[src^='blob:']")).isEmpty());
        wait.until(
            d ->
                Boolean.TRUE.equals(
                    js(
                        d,
                        "return [...document.querySelectorAll('#cameras img')].every(i => i.naturalWidth > 0);")));
        fitsWithoutScrolling(b);
        for (WebElement cam : b.findElements(By.cssSelector("#cameras .camera"))) {
          String banner = cam.findElement(By.cssSelector(".banner")).getText();
          assertTrue(banner.startsWith("PASS") || banner.startsWith("FAIL"), banner);
          assertTrue(cam.findElement(By.cssSelector(".state")).getText().startsWith("online"));
          assertTrue(cam.findElement(By.cssSelector(".info")).getText().contains("threshold"));
        }
        shot(b, "live");

        // The filmstrip opens a FAIL part: its archived image and its audit record.
        WebElement first = b.findElement(By.cssSelector("#filmstrip .shot"));
        String[] part = first.getAttribute("data-part").split("/");
        first.click();
        wait.until(d -> d.findElement(By.id("detail")).isDisplayed());
        wait.until(
            d ->
                Boolean.TRUE.equals(
                    js(d, "return document.getElementById('detail-image').naturalWidth > 0;")));
        String record = b.findElement(By.id("detail-record")).getText();
        assertTrue(record.contains("\"frame\": " + part[1]), record);
        assertTrue(record.contains("\"verdict\": \"FAIL\""), record);
        assertTrue(record.contains("\"stagesUs\""), record);
        // Not signed in: the label buttons are off, and the endpoint refuses a label anyway.
        assertFalse(b.findElement(By.id("label-false-reject")).isEnabled());
        String body =
            "{\"camera\":\""
                + part[0]
                + "\",\"seq\":"
                + part[1]
                + ",\"captureUs\":"
                + part[2]
                + ",\"label\":\"false-reject\"}";
        assertEquals(401, post(b, body, null));
        assertEquals(403, post(b, body, line.token("viewer")));
        shot(b, "detail");
        b.findElement(By.id("detail-close")).click();

        // The operator signs in and labels the part.
        b.findElement(By.id("token")).sendKeys(line.token("operator"));
        b.findElement(By.id("signin")).click();
        wait.until(d -> d.findElement(By.id("who")).getText().equals("signed in: operator"));
        // The filmstrip moves on while the line runs: the newest FAIL part, whichever it is now.
        WebElement newest = b.findElement(By.cssSelector("#filmstrip .shot"));
        String labelled = newest.getAttribute("data-part");
        newest.click();
        wait.until(
            d -> d.findElement(By.id("detail-title")).getText().endsWith(labelled.split("/")[1]));
        wait.until(d -> d.findElement(By.id("label-false-reject")).isEnabled());
        b.findElement(By.id("label-false-reject")).click();
        wait.until(
            d ->
                d.findElement(By.id("detail-labels"))
                    .getText()
                    .contains("false-reject by operator"));
        b.findElement(By.id("detail-close")).click();
        wait.until(d -> !d.findElement(By.id("detail")).isDisplayed());

        // Killing the PLC raises an alarm; the operator acknowledges it.
        line.killPlc();
        wait.until(
            d ->
                !d.findElements(By.cssSelector("#alarms .alarm[data-kind='actuator'] .ack"))
                    .isEmpty());
        shot(b, "alarm");
        b.findElement(By.cssSelector("#alarms .alarm[data-kind='actuator'] .ack")).click();
        wait.until(
            d ->
                d.findElements(By.cssSelector("#alarms .alarm[data-kind='actuator'] .ack"))
                    .isEmpty());

        // When the cameras are done, the page shows the cameras' own counts.
        SimRun.Result r = line.cameras.get(60, TimeUnit.SECONDS);
        SimStats.Snapshot cams = r.stats();
        wait.withMessage(
                () ->
                    "page total "
                        + b.findElement(By.id("shift-total")).getText()
                        + " vs cameras sent "
                        + cams.sent()
                        + "; stream "
                        + b.findElement(By.id("stream")).getText()
                        + "; panel errors "
                        + b.executeScript("return window.dashboardPanelErrors"))
            .until(d -> number(d.findElement(By.id("shift-total")).getText()) == cams.sent());
        assertEquals(cams.pass(), number(b.findElement(By.id("shift-ok")).getText()));
        assertEquals(
            cams.fail(),
            number(b.findElement(By.id("shift-ng")).getText())
                + number(b.findElement(By.id("shift-failsafe")).getText()));
        // Offline within two seconds of the cameras leaving.
        wait.withTimeout(Duration.ofSeconds(2))
            .until(d -> d.findElements(By.cssSelector("#cameras .camera.offline")).size() == 2);
        fitsWithoutScrolling(b);
        shot(b, "after");
      } finally {
        b.quit();
      }
    }
    LabelExport.Result x =
        LabelExport.write(new LabelStore(home.resolve("var/labels")), home.resolve("export"));
    assertEquals(1, x.images());
    assertEquals(1, x.good());
    List<String> csv = Files.readAllLines(home.resolve("export/labels.csv"));
    assertEquals(List.of("file,label,defect", "00000.png,good,false-reject"), csv);
  }

  /** Nothing outside the 1366×768 viewport: no scroll bar, every panel inside it. */
  private static void fitsWithoutScrolling(ChromeDriver b) {
    Object r =
        js(
            b,
            "const e = document.documentElement, out = [];"
                + "if (e.scrollHeight > innerHeight || e.scrollWidth > innerWidth) out.push('page ' + e.scrollWidth + 'x' + e.scrollHeight);"
                + "document.querySelectorAll('.panel').forEach(p => { const r = p.getBoundingClientRect();"
                + " if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) out.push((p.id || p.className) + ' ' + r.right + 'x' + r.bottom); });"
                + "return innerWidth + 'x' + innerHeight + ' ' + out.join('; ');");
    assertEquals("1366x768 ", r, "the screen must fit 1366×768 without scrolling");
  }

  private static int post(ChromeDriver b, String body, String token) {
    Object status =
        b.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "const h = {'Content-Type': 'application/json'}; if (arguments[1]) h.Authorization = 'Bearer ' + arguments[1];"
                + "fetch('/dashboard/api/labels', {method: 'POST', headers: h, body: arguments[0]}).then(r => done(r.status), e => done(-1));",
            body,
            token);
    return ((Number) status).intValue();
  }

  private static Object js(org.openqa.selenium.WebDriver d, String script) {
    return ((JavascriptExecutor) d).executeScript(script);
  }

  private static long number(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void shot(ChromeDriver b, String name) throws java.io.IOException {
    File f = ((TakesScreenshot) b).getScreenshotAs(OutputType.FILE);
    Files.copy(
        f.toPath(),
        SHOTS.resolve("dashboard-" + name + ".png"),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
