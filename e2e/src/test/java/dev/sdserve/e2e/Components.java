package dev.sdserve.e2e;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** 4-connected components of a boolean mask (checker.components), for {@link ShapesChecker}. */
final class Components {
    private Components() {
    }

    /**
     * The components of {@code mask} ({@code w x h}, row-major) as flat pixel indices, largest first; equal sizes
     * keep the order of their first pixel in the scan (Python's sort is stable, and so is {@link List#sort}).
     */
    static List<int[]> of(boolean[] mask, int w, int h) {
        boolean[] seen = new boolean[mask.length];
        int[] stack = new int[mask.length];
        List<int[]> comps = new ArrayList<>();
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || seen[start]) continue;
            seen[start] = true;
            int top = 0;
            stack[top++] = start;
            int[] comp = new int[16];
            int size = 0;
            while (top > 0) {
                int i = stack[--top];
                if (size == comp.length) comp = java.util.Arrays.copyOf(comp, size * 2);
                comp[size++] = i;
                int x = i % w;
                int y = i / w;
                top = push(mask, seen, stack, top, i - 1, x > 0);
                top = push(mask, seen, stack, top, i + 1, x < w - 1);
                top = push(mask, seen, stack, top, i - w, y > 0);
                top = push(mask, seen, stack, top, i + w, y < h - 1);
            }
            comps.add(java.util.Arrays.copyOf(comp, size));
        }
        comps.sort(Comparator.comparingInt((int[] c) -> c.length).reversed());
        return comps;
    }

    private static int push(boolean[] mask, boolean[] seen, int[] stack, int top, int j, boolean ok) {
        if (ok && mask[j] && !seen[j]) {
            seen[j] = true;
            stack[top++] = j;
        }
        return top;
    }
}
