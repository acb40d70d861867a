"""Published parameter tables: discount schedules, optimism bias, value-for-money bands.

Plain frozen data with the publication each number comes from. The scenario language refers
to these tables by name; the engine receives the numbers as arrays and never imports this
package's sources.
"""
