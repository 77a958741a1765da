"""Pure renderers: a `SiteContext` (and a page's URL) in, markdown/HTML/text/JSON out.

Nothing here touches MkDocs, the network or the clock; tests call these
functions directly and compare against golden files.
"""
