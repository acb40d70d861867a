"""The Excel workbook writer: named cell styles, templates and the sheets partners read."""
