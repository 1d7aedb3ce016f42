using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// The UserAccessLevel of a variable for a user (Part 3, 5.6.2): its AccessLevel less what the user's role may not
/// do. Read, Write and HistoryRead decide from it, so what a client like UaExpert greys out is exactly what the
/// server refuses with BadUserAccessDenied.
/// </summary>
public static class UserAccess
{
    /// <summary>AccessLevel bit CurrentRead.</summary>
    public const byte CurrentRead = 0x01;

    /// <summary>AccessLevel bit CurrentWrite.</summary>
    public const byte CurrentWrite = 0x02;

    /// <summary>AccessLevel bit HistoryRead.</summary>
    public const byte HistoryRead = 0x04;

    /// <summary>AccessLevel bit HistoryWrite.</summary>
    public const byte HistoryWrite = 0x08;

    /// <summary>AccessLevel bit StatusWrite.</summary>
    public const byte StatusWrite = 0x20;

    /// <summary>AccessLevel bit TimestampWrite.</summary>
    public const byte TimestampWrite = 0x40;

    private const byte Writing = CurrentWrite | HistoryWrite | StatusWrite | TimestampWrite;

    /// <summary>The UserAccessLevel of a variable with <paramref name="accessLevel"/> for <paramref name="identity"/>.</summary>
    public static byte Level(byte accessLevel, UserIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var withheld = 0;
        if (!identity.May(UserPermissions.Read)) withheld |= CurrentRead;
        if (!identity.May(UserPermissions.Write)) withheld |= Writing;
        if (!identity.May(UserPermissions.HistoryRead)) withheld |= HistoryRead;
        return (byte)(accessLevel & ~withheld);
    }

    /// <summary>
    /// The status of an operation that needs <paramref name="bit"/>: Good when the user has it,
    /// <paramref name="notPermitted"/> when the variable itself lacks it (so every role gets the same answer), and
    /// BadUserAccessDenied when only the role lacks it.
    /// </summary>
    public static StatusCode Check(byte accessLevel, UserIdentity identity, byte bit, uint notPermitted)
    {
        if ((accessLevel & bit) == 0) return notPermitted;
        return (Level(accessLevel, identity) & bit) == 0 ? StatusCodes.BadUserAccessDenied : StatusCode.Good;
    }
}
