namespace ThermalPlant.Testing;

/// <summary>Waiting for a server a test started.</summary>
public static class HttpWait
{
    /// <summary>Polls <paramref name="url"/> until it answers 2xx, failing the test after <paramref name="timeout"/>.</summary>
    public static async Task UntilOkAsync(Uri url, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await client.GetAsync(url)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"{url} did not answer within {timeout}. {diagnostics?.Invoke()}");
    }
}
