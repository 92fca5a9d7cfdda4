namespace RingCentralOAuthFunctions; internal static class Placeholder {}
