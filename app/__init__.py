"""Chikaya API: the back end of a national portal for citizens' requests to administrations."""
