namespace CallEvents.LoadTest.Reporting;

/// <summary>An RGBA raster with the few drawing operations a line chart needs.</summary>
public sealed class Canvas
{
    private readonly byte[] _pixels;

    public Canvas(int width, int height, uint background = 0xFFFFFFFF)
    {
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 4];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>Sets a pixel; <paramref name="rgba"/> is 0xRRGGBBAA. Outside the canvas: ignored.</summary>
    public void Set(int x, int y, uint rgba)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            return;
        }

        var i = ((y * Width) + x) * 4;
        _pixels[i] = (byte)(rgba >> 24);
        _pixels[i + 1] = (byte)(rgba >> 16);
        _pixels[i + 2] = (byte)(rgba >> 8);
        _pixels[i + 3] = (byte)rgba;
    }

    public void FillRect(int x, int y, int width, int height, uint rgba)
    {
        for (var yy = Math.Max(0, y); yy < Math.Min(Height, y + height); yy++)
        {
            for (var xx = Math.Max(0, x); xx < Math.Min(Width, x + width); xx++)
            {
                Set(xx, yy, rgba);
            }
        }
    }

    /// <summary>A straight line (Bresenham), <paramref name="thickness"/> pixels wide, optionally dashed.</summary>
    public void Line(int x0, int y0, int x1, int y1, uint rgba, int thickness = 1, int dash = 0)
    {
        var dx = Math.Abs(x1 - x0);
        var dy = -Math.Abs(y1 - y0);
        var sx = x0 < x1 ? 1 : -1;
        var sy = y0 < y1 ? 1 : -1;
        var error = dx + dy;
        var step = 0;
        var offset = thickness / 2;
        while (true)
        {
            if (dash == 0 || (step / dash) % 2 == 0)
            {
                FillRect(x0 - offset, y0 - offset, thickness, thickness, rgba);
            }

            step++;
            if (x0 == x1 && y0 == y1)
            {
                break;
            }

            var e2 = 2 * error;
            if (e2 >= dy)
            {
                error += dy;
                x0 += sx;
            }

            if (e2 <= dx)
            {
                error += dx;
                y0 += sy;
            }
        }
    }

    /// <summary>Draws text with the 5×7 bitmap font, each font pixel <paramref name="scale"/> pixels square.</summary>
    public void Text(int x, int y, string text, uint rgba, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cursor = x;
        foreach (var c in text)
        {
            var rows = BitmapFont.Glyph(c);
            for (var row = 0; row < BitmapFont.Height; row++)
            {
                for (var col = 0; col < BitmapFont.Width; col++)
                {
                    if ((rows[row] & (1 << (BitmapFont.Width - 1 - col))) != 0)
                    {
                        FillRect(cursor + (col * scale), y + (row * scale), scale, scale, rgba);
                    }
                }
            }

            cursor += (BitmapFont.Width + 1) * scale;
        }
    }

    public static int TextWidth(string text, int scale = 2) =>
        text is null || text.Length == 0 ? 0 : (text.Length * (BitmapFont.Width + 1) * scale) - scale;
}
