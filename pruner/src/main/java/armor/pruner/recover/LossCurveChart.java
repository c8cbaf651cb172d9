package armor.pruner.recover;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** The recovery loss per step (KL to the teacher, log scale) as a PNG, written atomically. */
final class LossCurveChart {
    private static final int W = 800, H = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50;

    private LossCurveChart() {}

    static void write(Path png, List<Double> losses, String title) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(title + " (log scale)", LEFT, 22);
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        g.drawRect(LEFT, TOP, pw, ph);
        if (!losses.isEmpty()) {
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (double l : losses) {
                if (l > 0) lo = Math.min(lo, l);
                hi = Math.max(hi, l);
            }
            if (!(hi > 0)) hi = 1;
            if (!(lo < hi)) lo = hi / 10;
            double logLo = Math.log10(lo), logHi = Math.log10(hi);
            g.drawString(String.format(Locale.ROOT, "%.4g", hi), 5, TOP + 5);
            g.drawString(String.format(Locale.ROOT, "%.4g", lo), 5, TOP + ph);
            g.drawString("step 1", LEFT, H - 25);
            g.drawString("step " + losses.size(), W - RIGHT - 70, H - 25);
            g.setColor(new Color(31, 119, 180));
            g.setStroke(new BasicStroke(1.5f));
            int px = -1, py = -1;
            for (int i = 0; i < losses.size(); i++) {
                double l = Math.max(lo, losses.get(i));
                int x = LEFT + (losses.size() == 1 ? 0 : (int) ((long) i * pw / (losses.size() - 1)));
                int y = TOP + (int) ((logHi - Math.log10(l)) / (logHi - logLo) * ph);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
        }
        g.dispose();
        try {
            Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(png + ": cannot write the loss chart: " + e.getMessage(), e);
        }
    }
}
