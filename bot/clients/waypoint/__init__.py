"""Halo Waypoint: the API client, and the sign-in chain (MSAL, Xbox Live, XSTS, Spartan token) it uses."""
