package dev.sdserve.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * bench.png: for each configuration, its UNet-loop and end-to-end speedups over the baseline as two bars,
 * with the PSNR against the baseline written under the group. Plain Java2D, so no plotting library is needed.
 */
final class BenchChart {
    static final int WIDTH = 1100;
    static final int HEIGHT = 600;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 70;
    private static final int BOTTOM = 120;
    private static final Color LOOP = new Color(0x2b6cb0);
    private static final Color E2E = new Color(0xed8936);

    /** One group of bars. */
    record Group(String label, double loopSpeedup, double e2eSpeedup, String note) {
    }

    private BenchChart() {
    }

    static void write(BenchResults r, Path file) throws IOException {
        BufferedImage image = draw(title(r), footnote(r.settings().repeats()), groups(r));
        if (!ImageIO.write(image, "png", file.toFile())) throw new IOException("no PNG writer for " + file);
    }

    static List<Group> groups(BenchResults r) {
        List<Group> out = new ArrayList<>();
        out.add(new Group("baseline", 1, 1, "no cache"));
        for (BenchCase c : r.cases()) {
            out.add(new Group(c.key(), r.unetLoopSpeedup().get(c.key()), r.deepCacheSpeedup().get(c.key()),
                    String.format(Locale.ROOT, "PSNR %.1f dB", r.psnrDb().get(c.key()))));
        }
        r.split().ifPresent(sp -> out.add(new Group("N5 split", r.baseline().loopMs() / sp.loopMs(),
                r.baseline().totalMs() / sp.totalMs(), String.format(Locale.ROOT, "x%.3f of in-process",
                r.splitOverInProcess().orElse(Double.NaN)))));
        return out;
    }

    private static String title(BenchResults r) {
        BenchSettings.Generation g = r.settings().generation();
        return String.format(Locale.ROOT, "DeepCache speedup over no cache: %s %dx%d, %d PNDM steps, %d threads",
                r.settings().model().name(), g.width(), g.height(), g.steps(), r.settings().threads());
    }

    /** What the bars are: one timed run per configuration, or the median of {@code repeats}. */
    static String footnote(int repeats) {
        return (repeats == 1 ? "one timed run per configuration"
                : "speedups of the median of " + repeats + " timed runs per configuration,") + " after a warm-up; dashed line: 1x";
    }

    static BufferedImage draw(String title, String footnote, List<Group> groups) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            double max = niceMax(groups);
            axes(g, max);
            bars(g, groups, max);
            legend(g, title, footnote);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static double niceMax(List<Group> groups) {
        double max = 1;
        for (Group gr : groups) max = Math.max(max, Math.max(finite(gr.loopSpeedup()), finite(gr.e2eSpeedup())));
        return Math.ceil(max + 0.25);
    }

    private static void axes(Graphics2D g, double max) {
        int plotH = HEIGHT - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int tick = 0; tick <= max; tick++) {
            int y = HEIGHT - BOTTOM - (int) Math.round(plotH * tick / max);
            g.setColor(tick == 1 ? Color.GRAY : new Color(0xe2e8f0));
            g.setStroke(tick == 1 ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f) : new BasicStroke(1f));
            g.drawLine(LEFT, y, WIDTH - RIGHT, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(tick + "x", LEFT - 30, y + 4);
        }
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.drawLine(LEFT, TOP - 10, LEFT, HEIGHT - BOTTOM);
        g.drawLine(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM);
    }

    private static void bars(Graphics2D g, List<Group> groups, double max) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        int slot = plotW / groups.size();
        int bar = Math.max(4, slot / 3);
        for (int i = 0; i < groups.size(); i++) {
            Group gr = groups.get(i);
            int x0 = LEFT + i * slot + (slot - 2 * bar) / 2;
            bar(g, x0, bar, gr.loopSpeedup(), max, plotH, LOOP);
            bar(g, x0 + bar, bar, gr.e2eSpeedup(), max, plotH, E2E);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            centered(g, gr.label(), LEFT + i * slot + slot / 2, HEIGHT - BOTTOM + 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            centered(g, gr.note(), LEFT + i * slot + slot / 2, HEIGHT - BOTTOM + 38);
        }
    }

    private static void bar(Graphics2D g, int x, int w, double value, double max, int plotH, Color color) {
        int h = (int) Math.round(plotH * Math.min(finite(value), max) / max);
        int y = HEIGHT - BOTTOM - h;
        g.setColor(color);
        g.fillRect(x, y, w - 2, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        centered(g, Double.isFinite(value) ? String.format(Locale.ROOT, "%.2f", value) : "n/a", x + w / 2, y - 4);
    }

    private static void legend(Graphics2D g, String title, String footnote) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int y = 52;
        g.setColor(LOOP);
        g.fillRect(LEFT, y - 10, 14, 12);
        g.setColor(Color.BLACK);
        g.drawString("denoising loop (UNet + scheduler)", LEFT + 20, y);
        g.setColor(E2E);
        g.fillRect(LEFT + 280, y - 10, 14, 12);
        g.setColor(Color.BLACK);
        g.drawString("end to end (text encoder + loop + VAE decode)", LEFT + 300, y);
        g.drawString(footnote, LEFT, HEIGHT - 30);
    }

    private static void centered(Graphics2D g, String text, int cx, int y) {
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, cx - fm.stringWidth(text) / 2, y);
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }
}
