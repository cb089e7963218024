using System.Globalization;
using System.Text;

namespace HpcSgd.Data;

/// <summary>Text from a file (a cell, a column or model name) as an error message shows it.</summary>
internal static class MessageText
{
    /// <summary>Longest text echoed in a message.</summary>
    private const int ShownCharacters = 80;

    /// <summary>
    /// On one line (line breaks, tabs and other control characters escaped) and at most <see cref="ShownCharacters"/>
    /// characters, with the full length said when cut.
    /// </summary>
    public static string Show(string text)
    {
        var oneLine = new StringBuilder(Math.Min(text.Length, ShownCharacters + 8));
        foreach (char c in text)
        {
            if (oneLine.Length > ShownCharacters)
            {
                break;
            }
            oneLine.Append(c switch
            {
                '\r' => "\\r",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }
        return oneLine.Length <= ShownCharacters
            ? oneLine.ToString()
            : string.Create(CultureInfo.InvariantCulture, $"{oneLine.ToString(0, ShownCharacters)}... ({text.Length:N0} characters)");
    }
}
